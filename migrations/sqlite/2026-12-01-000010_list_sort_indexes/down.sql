DROP INDEX cases_queue_order;
DROP INDEX cases_updated;
