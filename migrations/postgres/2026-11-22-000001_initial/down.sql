DROP TABLE credit_balances;
DROP TABLE variables;
DROP TABLE intents;
DROP TABLE calls;
DROP TABLE customer_external_ids;
DROP TABLE customer_phones;
DROP TABLE customers;
