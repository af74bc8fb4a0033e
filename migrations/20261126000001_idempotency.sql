-- Responses to mutating API requests sent with an Idempotency-Key, so a retried request gets
-- the first answer instead of acting twice. Task transitions keep their own keys in
-- task_transitions (in the same transaction as the change).
CREATE TABLE idempotency_keys (
    -- The token holder: 'operator:<uuid>' or 'agent:<uuid>'; keys are private to their owner.
    owner          text NOT NULL,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash   bytea NOT NULL CHECK (length(request_hash) = 32),
    -- NULL while the first request is still being handled.
    status_code    smallint CHECK (status_code BETWEEN 100 AND 599),
    content_type   text,
    response_body  bytea,
    created_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    PRIMARY KEY (owner, key),
    CHECK ((status_code IS NULL) = (completed_at IS NULL))
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
