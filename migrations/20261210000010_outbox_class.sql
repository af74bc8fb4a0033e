-- Traffic classes (domain::traffic): 1 answers to a human, 2 approval requests and critical
-- alerts, 3 edits, digests and the standup, 4 mirroring into task threads. The dispatcher
-- delivers a chat's rows class by class.
ALTER TABLE outbox ADD COLUMN class smallint NOT NULL DEFAULT 3 CHECK (class BETWEEN 1 AND 4);
UPDATE outbox SET class = CASE
    WHEN kind IN ('reply', 'edit_reply', 'chat_bound') THEN 1
    WHEN kind = 'approval_requested' THEN 2
    WHEN kind = 'alert_raised' AND payload->>'severity' = 'critical' AND NOT coalesce((payload->>'repeat')::boolean, false) THEN 2
    WHEN target = 'task' THEN 4
    ELSE 3 END
WHERE status IN ('pending', 'sending');

-- Runs and comments of a task folded into its activity message.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_delivery_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_delivery_check CHECK (delivery IN ('message', 'edit', 'digest', 'coalesced', 'activity'));
