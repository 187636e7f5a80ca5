-- Inspection plans, inspections with item scores and findings, and versioned rubrics.
-- A finding that asks for a ticket stays `pending` until dispatch has it: the outbox.

CREATE TABLE rubrics (
    town TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (town, version)
);

CREATE TABLE inspection_plans (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL,
    estate_id TEXT NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    focus TEXT NOT NULL,
    planned_by TEXT NOT NULL,
    inspection_id TEXT,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inspection_plans_town_date ON inspection_plans (town, date, id);

CREATE TABLE inspections (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL,
    estate_id TEXT NOT NULL,
    estate_name TEXT NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    focus TEXT NOT NULL,
    inspector TEXT NOT NULL,
    rubric_version BIGINT NOT NULL,
    item_scores TEXT NOT NULL,
    total_score DOUBLE PRECISION NOT NULL,
    grade TEXT NOT NULL,
    plan_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX inspections_town_date ON inspections (town, date, id);
CREATE INDEX inspections_estate ON inspections (estate_id, date);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    town TEXT NOT NULL,
    item TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    open_ticket BOOLEAN NOT NULL,
    deduction DOUBLE PRECISION NOT NULL,
    delivery TEXT NOT NULL,
    ticket_id TEXT,
    delivery_error TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX findings_inspection ON findings (inspection_id, id);
CREATE INDEX findings_pending ON findings (delivery, id);

CREATE TABLE assessment_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
