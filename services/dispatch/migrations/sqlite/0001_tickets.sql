-- Tickets, their immutable timeline, intake idempotency keys and per-town routing overrides.
-- Identical DDL on SQLite and Postgres; instants are epoch milliseconds.

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL,
    county TEXT NOT NULL,
    tracking_code TEXT NOT NULL UNIQUE,
    estate_id TEXT NOT NULL,
    estate_name TEXT NOT NULL,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    level BIGINT NOT NULL,
    unit_type TEXT,
    unit_id TEXT,
    unit_name TEXT,
    person_id TEXT,
    person_name TEXT,
    respond_by BIGINT,
    resolve_by BIGINT,
    measures TEXT NOT NULL,
    co_handlers TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reporter_phone TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    submitted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    responded_at BIGINT,
    resolved_at BIGINT,
    satisfaction TEXT,
    escalated_l1_at BIGINT,
    escalated_l2_at BIGINT,
    county_report BOOLEAN NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX tickets_town_id ON tickets (town, id);
CREATE INDEX tickets_town_created ON tickets (town, created_at);
CREATE INDEX tickets_unit ON tickets (unit_id, id);
CREATE INDEX tickets_open_level ON tickets (level, status);

CREATE TABLE ticket_events (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    town TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    note TEXT NOT NULL,
    level BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at_ms, id);
CREATE INDEX ticket_events_town ON ticket_events (town, id);

CREATE TABLE intake_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE routing_rules (
    town TEXT NOT NULL,
    category TEXT NOT NULL,
    target TEXT NOT NULL,
    response_minutes BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    initial_level BIGINT NOT NULL,
    owner_reps_co_handle BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (town, category)
);
