-- The cockpit's live feeds are told when audit events are written: every statement that adds
-- audit events sends a notification on `mc_audit`, delivered when (and only if) its transaction
-- commits, to every replica's listener (PostgreSQL folds a transaction's identical
-- notifications into one). A feed then reads the new events at once instead of polling the
-- table every half second.
CREATE FUNCTION audit_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mc_audit', '');
    RETURN NULL;
END $$;

CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_notify();
