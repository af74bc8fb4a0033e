-- The cockpit's sessions (the Telegram Mini App at /app): opened with initData Telegram signed,
-- bound to the operator that Telegram user is, short-lived and renewed while the app is open.
-- In the database so that every replica accepts them; only the SHA-256 of the token is kept.
CREATE TABLE app_sessions (
    id               uuid PRIMARY KEY,
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    operator_id      uuid NOT NULL REFERENCES operators (id),
    telegram_user_id bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL CHECK (expires_at > created_at)
);
-- Expired sessions are deleted as new ones open.
CREATE INDEX app_sessions_expires_idx ON app_sessions (expires_at);
