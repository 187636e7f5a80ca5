-- The possible-repeat lookup at intake (an open ticket about the same estate and category
-- within the window) reads only that estate's and category's recent rows, however long the
-- town's history: O(log n), not a scan of the town's last week.
CREATE INDEX tickets_repeat_lookup ON tickets (estate_id, category, created_at);
