DROP TABLE unit_certificates;
DROP TABLE outbox;
