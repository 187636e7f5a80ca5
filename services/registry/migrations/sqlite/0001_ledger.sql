-- The ledger. Identical DDL on SQLite and Postgres: TEXT ids (UUIDv7, time-ordered),
-- BIGINT counts and epoch-millisecond instants, BOOLEAN flags.

CREATE TABLE counties (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE towns (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    county TEXT NOT NULL REFERENCES counties(code),
    time_zone TEXT NOT NULL
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL REFERENCES towns(code),
    unit_type TEXT NOT NULL,
    name TEXT NOT NULL,
    ref_id TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (town, name)
);
CREATE INDEX units_town_type ON units (town, unit_type, id);

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL REFERENCES towns(code),
    unit_id TEXT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    phone TEXT NOT NULL,
    designated BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX persons_town_unit ON persons (town, unit_id, id);

CREATE TABLE communities (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL REFERENCES towns(code),
    name TEXT NOT NULL,
    party_secretary TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (town, name)
);

CREATE TABLE property_companies (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL REFERENCES towns(code),
    name TEXT NOT NULL,
    contact_person TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (town, name)
);

CREATE TABLE estates (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL REFERENCES towns(code),
    community_id TEXT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    planned_floor_area_m2 BIGINT NOT NULL CHECK (planned_floor_area_m2 >= 0),
    built_floor_area_m2 BIGINT NOT NULL CHECK (built_floor_area_m2 >= 0 AND built_floor_area_m2 <= planned_floor_area_m2),
    designed_households BIGINT NOT NULL CHECK (designed_households >= 0),
    occupied_households BIGINT NOT NULL CHECK (occupied_households >= 0 AND occupied_households <= designed_households),
    residents BIGINT NOT NULL CHECK (residents >= 0),
    is_old_estate BOOLEAN NOT NULL,
    management_mode TEXT NOT NULL,
    property_company_id TEXT REFERENCES property_companies(id),
    owners_committee TEXT NOT NULL,
    target TEXT NOT NULL,
    guards BIGINT NOT NULL,
    cameras BIGINT NOT NULL,
    access_control BOOLEAN NOT NULL,
    fences_and_gates BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (town, name)
);
CREATE INDEX estates_town ON estates (town, id);
CREATE INDEX estates_community ON estates (community_id);
CREATE INDEX estates_company ON estates (property_company_id);

-- Append-only history of every ledger edit: who, when, what changed (JSON list of fields).
CREATE TABLE estate_changes (
    id TEXT PRIMARY KEY,
    estate_id TEXT NOT NULL REFERENCES estates(id),
    town TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX estate_changes_estate ON estate_changes (estate_id, id);

CREATE TABLE accounts (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    town TEXT REFERENCES towns(code),
    county TEXT NOT NULL REFERENCES counties(code),
    unit_id TEXT REFERENCES units(id),
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_town ON accounts (town, username);

-- A retried create with the same key returns the first result.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
