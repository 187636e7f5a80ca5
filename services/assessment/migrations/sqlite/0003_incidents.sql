-- Major security incidents (重大安全事故) recorded at estates: the rubric's major_incidents veto.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL,
    estate_id TEXT NOT NULL,
    estate_name TEXT NOT NULL,
    date TEXT NOT NULL,
    description TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX incidents_town_date ON incidents (town, date, id);
