-- Inline buttons carry only a short opaque token; what a click means is looked up here, and the
-- clicker's rights are checked when it happens.
CREATE TABLE callback_actions (
    token      text PRIMARY KEY CHECK (token ~ '^[A-Za-z0-9_-]{8,40}$'),
    -- e.g. approve, deny, resolve_alert, confirm_pause_squad
    action     text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    entity_id  uuid,
    args       jsonb NOT NULL DEFAULT '{}',
    chat_id    bigint,
    created_at timestamptz NOT NULL,
    -- Set when a one-shot action (a confirmation) has been used.
    used_at    timestamptz
);
CREATE INDEX callback_actions_created_at ON callback_actions (created_at);

-- What a user owes the bot next in a chat, e.g. the reason for a deny (asked with ForceReply).
CREATE TABLE pending_inputs (
    chat_id           bigint NOT NULL,
    user_id           bigint NOT NULL,
    kind              text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    entity_id         uuid,
    prompt_message_id integer,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
