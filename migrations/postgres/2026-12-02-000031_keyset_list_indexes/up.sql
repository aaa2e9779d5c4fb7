-- Every list is read a page at a time by key (sort key, id), never by OFFSET: each sort and each
-- filter has an index that begins with the filter and ends with the sort key and the id, so that a
-- page is read along the index from its key and no query sorts the rows it matched.
-- The case list (newest change first): unfiltered (cases_updated, kept), by status, unit, kind or
-- channel; the period is a range on updated_at within the same indexes.
DROP INDEX cases_status_updated;
CREATE INDEX cases_status_updated_id ON cases (status, updated_at, id);
DROP INDEX cases_unit;
CREATE INDEX cases_unit_updated_id ON cases (unit_id, updated_at, id);
CREATE INDEX cases_kind_updated_id ON cases (kind, updated_at, id);
CREATE INDEX cases_channel_updated_id ON cases (channel, updated_at, id);
-- The handler's queue: open cases by submission (the predicate is spelt as in db::cases::QUEUE_STATUSES).
DROP INDEX cases_queue_order;
CREATE INDEX cases_queue_open ON cases (submitted_at, id) WHERE status IN ('submitted', 'received', 'verified', 'form_pending');
-- The review list of a unit, by due date.
DROP INDEX cases_unit_review;
CREATE INDEX cases_unit_review_id ON cases (unit_id, review_due, id);
-- The admin lists by name, and failed mail newest first.
DROP INDEX users_name;
CREATE INDEX users_name_id ON users (name, id);
DROP INDEX units_name;
CREATE INDEX units_name_id ON units (name, id);
DROP INDEX care_providers_name;
CREATE INDEX care_providers_name_id ON care_providers (name, id);
CREATE INDEX outbox_status_id ON outbox (status, id);
