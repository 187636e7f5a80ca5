-- An account the town office has stopped (staff who left): it can no longer sign in.
ALTER TABLE accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
