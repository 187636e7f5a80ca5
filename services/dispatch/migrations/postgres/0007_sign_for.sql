-- Sign-for (签收, issue #14): each assignment's limit for the unit to sign for it and when it
-- did; a routing rule's sign-for limit (NULL: the category's built-in one).
ALTER TABLE tickets ADD COLUMN sign_by BIGINT;
ALTER TABLE tickets ADD COLUMN signed_at BIGINT;
ALTER TABLE routing_rules ADD COLUMN sign_amount BIGINT;
ALTER TABLE routing_rules ADD COLUMN sign_unit TEXT;
