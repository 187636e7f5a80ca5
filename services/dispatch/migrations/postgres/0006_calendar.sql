-- Time limits in working hours or working days (issue #14): a routing rule's amounts carry a
-- unit, and each town keeps a working calendar per year that those units count by.
ALTER TABLE routing_rules RENAME COLUMN response_minutes TO response_amount;
ALTER TABLE routing_rules RENAME COLUMN resolution_minutes TO resolution_amount;
ALTER TABLE routing_rules ADD COLUMN response_unit TEXT NOT NULL DEFAULT 'minutes';
ALTER TABLE routing_rules ADD COLUMN resolution_unit TEXT NOT NULL DEFAULT 'minutes';

-- A year the town set (a year not here reads as the built-in national schedule).
CREATE TABLE calendar_years (
    town TEXT NOT NULL,
    year BIGINT NOT NULL,
    office_start_minute BIGINT NOT NULL,
    office_end_minute BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (town, year)
);

-- Its dates that differ from an ordinary week: holidays and make-up working days.
CREATE TABLE calendar_days (
    town TEXT NOT NULL,
    year BIGINT NOT NULL,
    day TEXT NOT NULL,          -- YYYY-MM-DD, local
    kind TEXT NOT NULL,         -- a DayKind name
    name TEXT NOT NULL,
    PRIMARY KEY (town, day)
);
