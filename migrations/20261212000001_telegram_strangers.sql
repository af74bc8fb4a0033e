-- People who are not operators, writing to the bot: their attempts are counted per chat, person
-- and hour (one audit event per hour, the first), and they are answered at most once every ten
-- minutes per chat, so that strangers cannot spend a group's 20 messages a minute.
CREATE TABLE telegram_strangers (
    chat_id bigint NOT NULL,
    user_id bigint NOT NULL,
    hour timestamptz NOT NULL,
    attempts integer NOT NULL CHECK (attempts > 0),
    last_attempt text NOT NULL,
    last_attempt_at timestamptz NOT NULL,
    answered_at timestamptz,
    PRIMARY KEY (chat_id, user_id, hour)
);
