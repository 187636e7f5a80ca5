-- The possible-repeat lookup at intake (the earliest open ticket about the same estate and
-- category within the window, ORDER BY created_at, id LIMIT 1) reads the index in its own order
-- and stops at the first open row: O(log n), not a scan of the town's last week, and no sort of
-- a burst's rows (id is in the index for the tie-break).
CREATE INDEX tickets_repeat_lookup ON tickets (estate_id, category, created_at, id);
