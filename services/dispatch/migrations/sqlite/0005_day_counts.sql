-- The assessment's counts per local day, kept as tickets change, so that a year's tally reads
-- at most 365 days × (estate, category, unit) rows instead of scanning the year's tickets.
--
-- A row holds, for the tickets created that local day (Asia/Shanghai: the day number is
-- (created_at + 8 h) / 1 day, as wuguan_platform::local_time::day_number) about one estate and
-- category, assigned to one unit ('' while unassigned), what `tally` counts. The three counts
-- that depend on the moment of asking (overdue, late responses, resolution due) are kept as
-- they will read once every deadline has passed; `tally` corrects them for the few tickets whose
-- deadline is still ahead (found by tickets_deadline below). Merged tickets are not counted.
-- The key holds the intake writers' shard (town, estate, category), so two writers never wait
-- on the same row. The store's conformance test checks these counts against a scan.

CREATE TABLE ticket_day_counts (
    town TEXT NOT NULL,
    day BIGINT NOT NULL,
    estate_id TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    county TEXT NOT NULL,
    estate_name TEXT NOT NULL,
    unit_name TEXT,
    unit_type TEXT,
    person_name TEXT,
    tickets BIGINT NOT NULL,
    responded_in_time BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    resolution_due BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    not_satisfied BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    late_responses BIGINT NOT NULL,
    escalated BIGINT NOT NULL,
    raised_to_county BIGINT NOT NULL,
    repeats BIGINT NOT NULL,
    PRIMARY KEY (town, day, estate_id, category, unit_key, county)
);

-- One ticket's contribution, written once: every trigger below reads it.
CREATE VIEW ticket_day_contributions AS
SELECT id, town, (created_at + 28800000) / 86400000 AS day, estate_id, category,
       COALESCE(unit_id, '') AS unit_key, county, estate_name, unit_name, unit_type, person_name,
       1 AS tickets,
       CASE WHEN responded_at IS NOT NULL AND responded_at <= respond_by THEN 1 ELSE 0 END AS responded_in_time,
       CASE WHEN status IN ('resolved', 'verified', 'closed') THEN 1 ELSE 0 END AS resolved,
       CASE WHEN status IN ('resolved', 'verified', 'closed') OR resolve_by IS NOT NULL THEN 1 ELSE 0 END AS resolution_due,
       CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END AS rated,
       CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END AS satisfied,
       CASE WHEN satisfaction = 'not_satisfied' THEN 1 ELSE 0 END AS not_satisfied,
       CASE WHEN status IN ('received', 'assigned', 'accepted', 'rejected', 'reopened') AND unit_id IS NOT NULL
                 AND ((responded_at IS NULL AND respond_by IS NOT NULL) OR resolve_by IS NOT NULL)
            THEN 1 ELSE 0 END AS overdue,
       CASE WHEN responded_at > respond_by OR (responded_at IS NULL AND respond_by IS NOT NULL) THEN 1 ELSE 0 END AS late_responses,
       CASE WHEN level >= 1 THEN 1 ELSE 0 END AS escalated,
       CASE WHEN level >= 2 AND category NOT IN ('building_quality', 'missing_facilities') THEN 1 ELSE 0 END AS raised_to_county,
       CASE WHEN repeat_of IS NOT NULL THEN 1 ELSE 0 END AS repeats
FROM tickets WHERE merged_into IS NULL;

CREATE TRIGGER ticket_day_counts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_day_counts
    SELECT town, day, estate_id, category, unit_key, county, estate_name, unit_name, unit_type, person_name,
           tickets, responded_in_time, resolved, resolution_due, rated, satisfied, not_satisfied, overdue,
           late_responses, escalated, raised_to_county, repeats
    FROM ticket_day_contributions WHERE id = NEW.id
    ON CONFLICT (town, day, estate_id, category, unit_key, county) DO UPDATE SET
        tickets = tickets + excluded.tickets, responded_in_time = responded_in_time + excluded.responded_in_time,
        resolved = resolved + excluded.resolved, resolution_due = resolution_due + excluded.resolution_due,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        not_satisfied = not_satisfied + excluded.not_satisfied, overdue = overdue + excluded.overdue,
        late_responses = late_responses + excluded.late_responses, escalated = escalated + excluded.escalated,
        raised_to_county = raised_to_county + excluded.raised_to_county, repeats = repeats + excluded.repeats,
        unit_name = COALESCE(MAX(unit_name, excluded.unit_name), unit_name, excluded.unit_name),
        unit_type = COALESCE(MAX(unit_type, excluded.unit_type), unit_type, excluded.unit_type),
        person_name = COALESCE(MAX(person_name, excluded.person_name), person_name, excluded.person_name);
END;

-- (A trigger's UPDATE may not alias its table.)
-- Before a change (or a deletion) the ticket's old contribution comes off its row; after a
-- change its new one goes on, to the same row or another (reassigned, merged, reopened).
CREATE TRIGGER ticket_day_counts_before_update BEFORE UPDATE ON tickets BEGIN
    UPDATE ticket_day_counts SET
        tickets = ticket_day_counts.tickets - c.tickets, responded_in_time = ticket_day_counts.responded_in_time - c.responded_in_time,
        resolved = ticket_day_counts.resolved - c.resolved, resolution_due = ticket_day_counts.resolution_due - c.resolution_due,
        rated = ticket_day_counts.rated - c.rated, satisfied = ticket_day_counts.satisfied - c.satisfied,
        not_satisfied = ticket_day_counts.not_satisfied - c.not_satisfied, overdue = ticket_day_counts.overdue - c.overdue,
        late_responses = ticket_day_counts.late_responses - c.late_responses, escalated = ticket_day_counts.escalated - c.escalated,
        raised_to_county = ticket_day_counts.raised_to_county - c.raised_to_county, repeats = ticket_day_counts.repeats - c.repeats
    FROM ticket_day_contributions AS c
    WHERE c.id = OLD.id AND ticket_day_counts.town = c.town AND ticket_day_counts.day = c.day AND ticket_day_counts.estate_id = c.estate_id
      AND ticket_day_counts.category = c.category AND ticket_day_counts.unit_key = c.unit_key AND ticket_day_counts.county = c.county;
END;

CREATE TRIGGER ticket_day_counts_before_delete BEFORE DELETE ON tickets BEGIN
    UPDATE ticket_day_counts SET
        tickets = ticket_day_counts.tickets - c.tickets, responded_in_time = ticket_day_counts.responded_in_time - c.responded_in_time,
        resolved = ticket_day_counts.resolved - c.resolved, resolution_due = ticket_day_counts.resolution_due - c.resolution_due,
        rated = ticket_day_counts.rated - c.rated, satisfied = ticket_day_counts.satisfied - c.satisfied,
        not_satisfied = ticket_day_counts.not_satisfied - c.not_satisfied, overdue = ticket_day_counts.overdue - c.overdue,
        late_responses = ticket_day_counts.late_responses - c.late_responses, escalated = ticket_day_counts.escalated - c.escalated,
        raised_to_county = ticket_day_counts.raised_to_county - c.raised_to_county, repeats = ticket_day_counts.repeats - c.repeats
    FROM ticket_day_contributions AS c
    WHERE c.id = OLD.id AND ticket_day_counts.town = c.town AND ticket_day_counts.day = c.day AND ticket_day_counts.estate_id = c.estate_id
      AND ticket_day_counts.category = c.category AND ticket_day_counts.unit_key = c.unit_key AND ticket_day_counts.county = c.county;
END;

CREATE TRIGGER ticket_day_counts_after_update AFTER UPDATE ON tickets BEGIN
    INSERT INTO ticket_day_counts
    SELECT town, day, estate_id, category, unit_key, county, estate_name, unit_name, unit_type, person_name,
           tickets, responded_in_time, resolved, resolution_due, rated, satisfied, not_satisfied, overdue,
           late_responses, escalated, raised_to_county, repeats
    FROM ticket_day_contributions WHERE id = NEW.id
    ON CONFLICT (town, day, estate_id, category, unit_key, county) DO UPDATE SET
        tickets = tickets + excluded.tickets, responded_in_time = responded_in_time + excluded.responded_in_time,
        resolved = resolved + excluded.resolved, resolution_due = resolution_due + excluded.resolution_due,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied,
        not_satisfied = not_satisfied + excluded.not_satisfied, overdue = overdue + excluded.overdue,
        late_responses = late_responses + excluded.late_responses, escalated = escalated + excluded.escalated,
        raised_to_county = raised_to_county + excluded.raised_to_county, repeats = repeats + excluded.repeats,
        unit_name = COALESCE(MAX(unit_name, excluded.unit_name), unit_name, excluded.unit_name),
        unit_type = COALESCE(MAX(unit_type, excluded.unit_type), unit_type, excluded.unit_type),
        person_name = COALESCE(MAX(person_name, excluded.person_name), person_name, excluded.person_name);
END;

-- The tickets whose counts above are not final yet: a deadline still ahead (-1: none).
CREATE INDEX tickets_deadline ON tickets (town, MAX(COALESCE(respond_by, -1), COALESCE(resolve_by, -1)));

-- The tickets stored before this migration.
INSERT INTO ticket_day_counts
SELECT town, day, estate_id, category, unit_key, county, MAX(estate_name), MAX(unit_name), MAX(unit_type), MAX(person_name),
       SUM(tickets), SUM(responded_in_time), SUM(resolved), SUM(resolution_due), SUM(rated), SUM(satisfied),
       SUM(not_satisfied), SUM(overdue), SUM(late_responses), SUM(escalated), SUM(raised_to_county), SUM(repeats)
FROM ticket_day_contributions
GROUP BY town, day, estate_id, category, unit_key, county;
