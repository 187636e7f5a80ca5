-- Return and arbitration (退单 / 审定, issue #14): when the current unit was given the ticket and
-- when its window to return it closes.
ALTER TABLE tickets ADD COLUMN assigned_at BIGINT;
ALTER TABLE tickets ADD COLUMN return_by BIGINT;
