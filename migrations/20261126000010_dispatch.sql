-- The outbox dispatcher's bookkeeping (src/telegram/outbox).

ALTER TABLE outbox
    -- Parts of a long message already sent: after a crash the dispatcher resumes at the next part
    -- instead of posting the whole text again.
    ADD COLUMN parts_sent        integer NOT NULL DEFAULT 0 CHECK (parts_sent >= 0),
    -- Where and how the row reached Telegram: its own message, an edit of an earlier message,
    -- a line in a digest of alerts, or folded into a later edit of the same alert.
    ADD COLUMN delivered_chat_id bigint,
    ADD COLUMN delivery          text CHECK (delivery IN ('message', 'edit', 'digest', 'coalesced'));

-- Editing an approval or alert message re-renders the request it showed: found by entity id.
CREATE INDEX outbox_entity_payload_idx ON outbox (kind, (coalesce(payload->>'approval_id', payload->>'alert_id')))
    WHERE kind IN ('approval_requested', 'alert_raised');
