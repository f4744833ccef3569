DROP TABLE rolled_days;
