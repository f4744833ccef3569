DROP TABLE credit_balances, variables, intents, calls, customer_external_ids, customer_phones, customers;
