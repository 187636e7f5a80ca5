-- The reasons a town's units may give for a return (退单原因, issue #14): built-in reasons the
-- town switched off or on (their labels come from the contract) and its own, in its order. A
-- town with no rows offers the built-in list.
CREATE TABLE return_reasons (
    town TEXT NOT NULL,
    position BIGINT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (town, code)
);
