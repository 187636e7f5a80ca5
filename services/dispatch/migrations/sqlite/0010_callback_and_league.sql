-- The closed loop's last steps (issue #14).
-- The reply to the reporter (答复, written on resolving from the town's template), when the
-- callback to the reporter is due (回访), how often a dissatisfied reporter sent the ticket
-- back (重办), and when the sweep warned the unit its time was running out (临期预警).
ALTER TABLE tickets ADD COLUMN reply TEXT;
ALTER TABLE tickets ADD COLUMN callback_by BIGINT;
ALTER TABLE tickets ADD COLUMN redo_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN warned_at BIGINT;

-- The tickets the warning sweep looks at: open, held by a unit, not warned yet. The sweep's
-- query repeats this predicate so the planner uses the index; closed history stays out of it.
CREATE INDEX tickets_to_warn ON tickets (resolve_by)
    WHERE warned_at IS NULL AND status IN ('assigned', 'accepted', 'reopened');

-- The unit holding the ticket after each event: the league table counts returns, redos and
-- extension requests by the unit that made them. Events from before this migration have none.
ALTER TABLE ticket_events ADD COLUMN unit_id TEXT;
-- A period's events of a town that a unit made, in time order (intake's submit events have no
-- unit and stay out of it).
CREATE INDEX ticket_events_unit_work ON ticket_events (town, at_ms) WHERE unit_id IS NOT NULL;

-- Per town and category, the headings a reply to the reporter must fill (答复规范), one per line.
CREATE TABLE reply_templates (
    town TEXT NOT NULL,
    category TEXT NOT NULL,
    headings TEXT NOT NULL,
    guidance TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (town, category)
);
