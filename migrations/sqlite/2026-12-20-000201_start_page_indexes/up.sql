-- The start page (issue 11): the chefläkare's "lock decisions dated this month" of their units
-- reads the case list by unit and decision date; this index serves it (the range on decided_on
-- within each unit) however many years of cases there are.
CREATE INDEX cases_unit_decided_id ON cases (unit_id, decided_on, id);
