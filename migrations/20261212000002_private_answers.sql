-- People who have started the bot in a private chat: answers that concern only them (a usage
-- line, "already decided") go there instead of the group, with a pointer in the group at most
-- once a minute per person and chat.
CREATE TABLE telegram_private_chats (
    user_id bigint PRIMARY KEY,
    started_at timestamptz NOT NULL
);

CREATE TABLE telegram_pointers (
    chat_id bigint NOT NULL,
    user_id bigint NOT NULL,
    pointed_at timestamptz NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
