-- Tokens void before they expire (wuguan_platform::revocation), published to every service's
-- verifier as a feed ordered by (changed_at, key). Per account (key 'a:' and a hash of the
-- username) the token version its sign-in tokens must reach — raised by signing out, a new
-- password or stopping the account; per revoked service token (key 't:' and its id) a row.
CREATE TABLE token_revocations (
    key TEXT PRIMARY KEY,
    min_version BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX token_revocations_feed ON token_revocations (changed_at, key);

-- Service tokens minted for other departments' systems: the county lists, rotates and revokes
-- them. The token itself is shown once and never stored.
CREATE TABLE service_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    town TEXT,
    county TEXT NOT NULL,
    unit_id TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE INDEX service_tokens_county ON service_tokens (county, created_at, id);
