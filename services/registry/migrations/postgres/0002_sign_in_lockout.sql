-- Consecutive failed sign-ins per account; after too many the account is locked for a while,
-- so a password cannot be guessed at the speed of the network.
ALTER TABLE accounts ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
