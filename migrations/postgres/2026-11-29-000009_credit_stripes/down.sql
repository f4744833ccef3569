DROP TABLE credit_stripes;
