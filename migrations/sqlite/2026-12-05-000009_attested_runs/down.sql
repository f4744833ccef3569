ALTER TABLE customer_phones DROP COLUMN attested_run;
