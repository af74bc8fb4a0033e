-- A question the bot asked (a deny reason, what a card's move needs) belongs to the forum topic
-- it was asked in: the answer is taken only from that topic, so a message written meanwhile in
-- another task's topic stays a comment there. NULL: no topic (General, a plain group, private).
-- One open question per user and topic.
ALTER TABLE pending_inputs ADD COLUMN thread_id integer;
ALTER TABLE pending_inputs DROP CONSTRAINT pending_inputs_pkey;
CREATE UNIQUE INDEX pending_inputs_per_topic ON pending_inputs (chat_id, user_id, (COALESCE(thread_id, 0)));
