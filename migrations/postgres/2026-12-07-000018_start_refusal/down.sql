DROP FUNCTION stickycalls_refuse_start(text);
