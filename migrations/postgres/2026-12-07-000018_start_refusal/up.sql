-- A statement that writes a start whole ends itself with an error when what it wrote
-- cannot stand (its credit was taken but its call row was not inserted: the call id
-- was taken meanwhile), so that nothing it did survives: one statement is one
-- transaction. SQL has no way to raise an error of its own; this is the smallest one.
-- VOLATILE: never evaluated ahead of the branch that calls it.
CREATE FUNCTION stickycalls_refuse_start(reason text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'SC409', MESSAGE = 'stickycalls: ' || reason;
END
$$;
