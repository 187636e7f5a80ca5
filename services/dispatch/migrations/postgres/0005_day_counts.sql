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
-- on the same row; each statement's changes are summed per row and applied in key order, so
-- two transactions never take the same rows in opposite orders. The store's conformance test
-- checks these counts against a scan.

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

-- One ticket's contribution, written once: the trigger and the backfill below read it. (A set-
-- returning SQL function is inlined into the query that calls it; one returning a single row
-- is called per ticket and cost an intake batch of 16 a millisecond more.)
CREATE FUNCTION ticket_day_contribution(t tickets) RETURNS SETOF ticket_day_counts
LANGUAGE sql IMMUTABLE AS $$
SELECT t.town, (t.created_at + 28800000) / 86400000, t.estate_id, t.category, COALESCE(t.unit_id, ''), t.county,
       t.estate_name, t.unit_name, t.unit_type, t.person_name,
       1::bigint,
       CASE WHEN t.responded_at IS NOT NULL AND t.responded_at <= t.respond_by THEN 1::bigint ELSE 0 END,
       CASE WHEN t.status IN ('resolved', 'verified', 'closed') THEN 1::bigint ELSE 0 END,
       CASE WHEN t.status IN ('resolved', 'verified', 'closed') OR t.resolve_by IS NOT NULL THEN 1::bigint ELSE 0 END,
       CASE WHEN t.satisfaction IS NOT NULL THEN 1::bigint ELSE 0 END,
       CASE WHEN t.satisfaction IN ('satisfied', 'basically_satisfied') THEN 1::bigint ELSE 0 END,
       CASE WHEN t.satisfaction = 'not_satisfied' THEN 1::bigint ELSE 0 END,
       CASE WHEN t.status IN ('received', 'assigned', 'accepted', 'rejected', 'reopened') AND t.unit_id IS NOT NULL
                 AND ((t.responded_at IS NULL AND t.respond_by IS NOT NULL) OR t.resolve_by IS NOT NULL)
            THEN 1::bigint ELSE 0 END,
       CASE WHEN t.responded_at > t.respond_by OR (t.responded_at IS NULL AND t.respond_by IS NOT NULL) THEN 1::bigint ELSE 0 END,
       CASE WHEN t.level >= 1 THEN 1::bigint ELSE 0 END,
       CASE WHEN t.level >= 2 AND t.category NOT IN ('building_quality', 'missing_facilities') THEN 1::bigint ELSE 0 END,
       CASE WHEN t.repeat_of IS NOT NULL THEN 1::bigint ELSE 0 END
$$;

-- Once per statement (an intake batch is one statement): the changed rows' contributions, summed
-- per day row and applied in key order, times the trigger's sign: +1 for rows inserted or as
-- they are after an update, -1 for rows as they were before an update or a deletion. Every
-- trigger names its transition table `changed_rows`, so this one statement serves them all.
-- (An update moving tickets between two rows takes them in two statements: two concurrent
-- reassignments in opposite directions can deadlock, and Postgres then fails one of them.)
CREATE FUNCTION ticket_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign bigint := TG_ARGV[0]::bigint;
BEGIN
    INSERT INTO ticket_day_counts
    SELECT c.town, c.day, c.estate_id, c.category, c.unit_key, c.county,
           MAX(c.estate_name), MAX(c.unit_name), MAX(c.unit_type), MAX(c.person_name),
           SUM(sign * c.tickets), SUM(sign * c.responded_in_time), SUM(sign * c.resolved),
           SUM(sign * c.resolution_due), SUM(sign * c.rated), SUM(sign * c.satisfied),
           SUM(sign * c.not_satisfied), SUM(sign * c.overdue), SUM(sign * c.late_responses),
           SUM(sign * c.escalated), SUM(sign * c.raised_to_county), SUM(sign * c.repeats)
    FROM changed_rows r, LATERAL ticket_day_contribution(r::tickets) c
    WHERE r.merged_into IS NULL
    GROUP BY c.town, c.day, c.estate_id, c.category, c.unit_key, c.county
    ORDER BY c.town, c.day, c.estate_id, c.category, c.unit_key, c.county
    ON CONFLICT (town, day, estate_id, category, unit_key, county) DO UPDATE SET
        tickets = ticket_day_counts.tickets + excluded.tickets,
        responded_in_time = ticket_day_counts.responded_in_time + excluded.responded_in_time,
        resolved = ticket_day_counts.resolved + excluded.resolved,
        resolution_due = ticket_day_counts.resolution_due + excluded.resolution_due,
        rated = ticket_day_counts.rated + excluded.rated,
        satisfied = ticket_day_counts.satisfied + excluded.satisfied,
        not_satisfied = ticket_day_counts.not_satisfied + excluded.not_satisfied,
        overdue = ticket_day_counts.overdue + excluded.overdue,
        late_responses = ticket_day_counts.late_responses + excluded.late_responses,
        escalated = ticket_day_counts.escalated + excluded.escalated,
        raised_to_county = ticket_day_counts.raised_to_county + excluded.raised_to_county,
        repeats = ticket_day_counts.repeats + excluded.repeats,
        unit_name = GREATEST(ticket_day_counts.unit_name, excluded.unit_name),
        unit_type = GREATEST(ticket_day_counts.unit_type, excluded.unit_type),
        person_name = GREATEST(ticket_day_counts.person_name, excluded.person_name);
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_day_counts_inserted AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_day_counts_apply('1');
CREATE TRIGGER ticket_day_counts_updated_from AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_day_counts_apply('-1');
CREATE TRIGGER ticket_day_counts_updated_to AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_day_counts_apply('1');
CREATE TRIGGER ticket_day_counts_deleted AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_day_counts_apply('-1');

-- The tickets whose counts above are not final yet: a deadline still ahead.
CREATE INDEX tickets_deadline ON tickets (town, GREATEST(respond_by, resolve_by));

-- The tickets stored before this migration.
INSERT INTO ticket_day_counts
SELECT c.town, c.day, c.estate_id, c.category, c.unit_key, c.county,
       MAX(c.estate_name), MAX(c.unit_name), MAX(c.unit_type), MAX(c.person_name),
       SUM(c.tickets), SUM(c.responded_in_time), SUM(c.resolved), SUM(c.resolution_due), SUM(c.rated),
       SUM(c.satisfied), SUM(c.not_satisfied), SUM(c.overdue), SUM(c.late_responses), SUM(c.escalated),
       SUM(c.raised_to_county), SUM(c.repeats)
FROM tickets t, LATERAL ticket_day_contribution(t) c
WHERE t.merged_into IS NULL
GROUP BY c.town, c.day, c.estate_id, c.category, c.unit_key, c.county;
