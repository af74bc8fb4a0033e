-- Every Bot API call the dispatcher made to a chat in the last minutes (sends, edits, topic
-- calls): a dispatcher that starts after another one stopped counts them against Telegram's
-- per-chat and per-group limits, so a restart does not earn a 429. Kept for two minutes.
CREATE TABLE telegram_calls (
    id      bigserial PRIMARY KEY,
    chat_id bigint NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX telegram_calls_at_idx ON telegram_calls (at);
