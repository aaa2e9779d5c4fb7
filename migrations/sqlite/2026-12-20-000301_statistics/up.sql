-- The statistics page (issue 11): counts per month with GROUP BY over indexed columns.

-- How many times a case was returned for completion (its return reason is cleared on
-- resubmission, so the case itself no longer says). Counted from the timeline for cases returned
-- before this column existed.
ALTER TABLE cases ADD COLUMN returned_count INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET returned_count = (
    SELECT COUNT(*) FROM case_events e
    WHERE e.case_id = cases.id AND e.action = 'Returnerade för komplettering'
) WHERE id IN (SELECT case_id FROM case_events WHERE action = 'Returnerade för komplettering');

-- A review's due date (the lock's review_due when it was decided) and the Swedish date it was
-- decided on: done on time is decided_on <= due_on, a comparison of dates on both backends.
ALTER TABLE reviews ADD COLUMN due_on DATE;
ALTER TABLE reviews ADD COLUMN decided_on DATE;
-- Reviews recorded before: the Swedish date (summer time from the last Sunday of March 01:00 UTC
-- to the last Sunday of October 01:00 UTC), and the due date the review answered: the previous
-- review's next date, or for the first one three calendar months after the Swedish date of the
-- execution, clamped to the month's last day (domain::review::review_due).
UPDATE reviews SET decided_on = date(decided_at,
    CASE WHEN decided_at >= date(strftime('%Y', decided_at) || '-04-01', 'weekday 0', '-7 days') || ' 01:00:00'
          AND decided_at < date(strftime('%Y', decided_at) || '-11-01', 'weekday 0', '-7 days') || ' 01:00:00'
         THEN '+2 hours' ELSE '+1 hour' END);
UPDATE reviews SET due_on = (
    SELECT p.next_review FROM reviews p
    WHERE p.case_id = reviews.case_id AND p.next_review IS NOT NULL
      AND (p.decided_at < reviews.decided_at OR (p.decided_at = reviews.decided_at AND p.id < reviews.id))
    ORDER BY p.decided_at DESC, p.id DESC LIMIT 1);
UPDATE reviews SET due_on = (
    SELECT CASE WHEN strftime('%d', date(l.d, '+3 months')) = strftime('%d', l.d)
                THEN date(l.d, '+3 months')
                ELSE date(l.d, '+3 months', 'start of month', '-1 day') END
    FROM (SELECT date(c.executed_at,
            CASE WHEN c.executed_at >= date(strftime('%Y', c.executed_at) || '-04-01', 'weekday 0', '-7 days') || ' 01:00:00'
                  AND c.executed_at < date(strftime('%Y', c.executed_at) || '-11-01', 'weekday 0', '-7 days') || ' 01:00:00'
                 THEN '+2 hours' ELSE '+1 hour' END) AS d
          FROM cases c WHERE c.id = reviews.case_id AND c.executed_at IS NOT NULL) AS l)
WHERE due_on IS NULL;

-- Cases by execution (counts by kind and channel, lead times, the share returned, locks in
-- force, unlocks that lift a lock), covering, so that a month's rows are read from the index.
CREATE INDEX cases_stats_executed ON cases (executed_at, kind, channel, unit_id, submitted_at, returned_count, related_case_id);
-- Emergency locks by the day their form was linked.
CREATE INDEX cases_stats_linked ON cases (form_linked_at, kind, channel, unit_id, executed_at) WHERE form_linked_at IS NOT NULL;
-- Reviews by due date.
CREATE INDEX reviews_due ON reviews (due_on, case_id, decided_on);
