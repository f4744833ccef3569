DROP INDEX calls_by_start;
