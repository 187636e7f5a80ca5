-- Wrong passwords counted per username and client (a hash of both), not per account: the lock
-- after five in a row holds back the client that guessed, not the account's owner signing in
-- from elsewhere, and an unknown username locks the same way, so a lock tells nothing about
-- whether the account exists. (accounts.failed_sign_ins and locked_until are no longer used.)
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_updated ON sign_in_failures (updated_at);
