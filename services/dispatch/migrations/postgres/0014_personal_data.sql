-- Personal information (PIPL): every read of a reporter's phone number in full, so that access
-- is traceable; and how long each town keeps reporters' names and numbers after closing.
CREATE TABLE personal_data_reads (
    id TEXT PRIMARY KEY,
    town TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    reader TEXT NOT NULL,
    role TEXT NOT NULL,
    channel TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX personal_data_reads_town ON personal_data_reads (town, id);
CREATE INDEX personal_data_reads_ticket ON personal_data_reads (ticket_id, id);

CREATE TABLE privacy_settings (
    town TEXT PRIMARY KEY,
    retention_days BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The retention job's way in: closed tickets that still hold a name or number (new tickets
-- are not closed, so intake never writes to it).
CREATE INDEX tickets_personal_data_kept ON tickets (updated_at)
    WHERE status = 'closed' AND (reporter_name <> '' OR reporter_phone <> '');
