-- Tokens that expire, are revoked, or are retired by a newer one (an agent's re-registration or
-- rotation, another bootstrap token). The token itself is still never stored: only its SHA-256.
CREATE TYPE token_retirement AS ENUM ('revoked', 'rotated', 'replaced');

ALTER TABLE api_tokens
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN retired_as token_retirement;

UPDATE api_tokens SET retired_as = 'revoked' WHERE revoked_at IS NOT NULL;

ALTER TABLE api_tokens
    ADD CONSTRAINT api_tokens_retired_says_why CHECK ((revoked_at IS NULL) = (retired_as IS NULL)),
    ADD CONSTRAINT api_tokens_expires_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);

-- An agent's live tokens are found (and retired) when it gets a new one; names for `token revoke <name>`.
CREATE INDEX api_tokens_agent_live_idx ON api_tokens (agent_id) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_name_idx ON api_tokens (name);
