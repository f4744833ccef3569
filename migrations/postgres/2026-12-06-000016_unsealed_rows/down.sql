DROP INDEX calls_hints_in_clear;
DROP INDEX variables_in_clear;
