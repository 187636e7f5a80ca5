-- Published monthly bulletins: immutable, versioned (the encoded Bulletin message).
CREATE TABLE bulletins (
    town TEXT NOT NULL,
    month TEXT NOT NULL,
    version BIGINT NOT NULL,
    body BYTEA NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (town, month, version)
);
