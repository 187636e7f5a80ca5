CREATE TABLE IF NOT EXISTS bench_tickets (
    id TEXT PRIMARY KEY, town TEXT NOT NULL, county TEXT NOT NULL, tracking_code TEXT NOT NULL UNIQUE,
    estate_id TEXT NOT NULL, estate_name TEXT NOT NULL, category TEXT NOT NULL, source TEXT NOT NULL,
    description TEXT NOT NULL, status TEXT NOT NULL, level BIGINT NOT NULL, unit_type TEXT, unit_id TEXT,
    unit_name TEXT, person_id TEXT, person_name TEXT, respond_by BIGINT, resolve_by BIGINT, measures TEXT NOT NULL,
    co_handlers TEXT NOT NULL, reporter_name TEXT NOT NULL, reporter_phone TEXT NOT NULL, anonymous BOOLEAN NOT NULL,
    submitted_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, responded_at BIGINT,
    resolved_at BIGINT, satisfaction TEXT, escalated_l1_at BIGINT, escalated_l2_at BIGINT,
    county_report BOOLEAN NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_tickets_town_id ON bench_tickets (town, id);
CREATE INDEX IF NOT EXISTS bench_tickets_town_created ON bench_tickets (town, created_at);
CREATE INDEX IF NOT EXISTS bench_tickets_unit ON bench_tickets (unit_id, id);
CREATE INDEX IF NOT EXISTS bench_tickets_open_level ON bench_tickets (level, status);
CREATE TABLE IF NOT EXISTS bench_events (
    id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, town TEXT NOT NULL, action TEXT NOT NULL, from_status TEXT,
    to_status TEXT NOT NULL, actor TEXT NOT NULL, at_ms BIGINT NOT NULL, note TEXT NOT NULL, level BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_events_ticket ON bench_events (ticket_id, at_ms, id);
CREATE INDEX IF NOT EXISTS bench_events_town ON bench_events (town, id);
CREATE TABLE IF NOT EXISTS bench_keys (
    scope TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL, ticket_id TEXT NOT NULL,
    created_at BIGINT NOT NULL, PRIMARY KEY (scope, idempotency_key)
)
