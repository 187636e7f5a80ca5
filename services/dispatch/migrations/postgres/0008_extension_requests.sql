-- Extension requests (延期申请, issue #14): the assigned unit's request for a later resolution
-- deadline, kept on the ticket until the town office approves or refuses it (both recorded in
-- the timeline).
ALTER TABLE tickets ADD COLUMN extension_until BIGINT;
ALTER TABLE tickets ADD COLUMN extension_reason TEXT;
ALTER TABLE tickets ADD COLUMN extension_by TEXT;
ALTER TABLE tickets ADD COLUMN extension_at BIGINT;
