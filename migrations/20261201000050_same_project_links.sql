-- A row of one project never points at a task or agent of another one.
--
-- Where the referring table has its own project_id, the link is a composite foreign key onto
-- (id, project_id), which replaces the plain one. Where it has none (assignments,
-- notifications, comments and transitions by agents), a constraint trigger compares the two
-- projects. Tasks and agents keep the project they were created in, so what was checked at
-- insert stays true. Archived rows (archive.*) have no foreign keys; verify-db checks them, and
-- everything after a restore (which loads with triggers off).

-- Rows queued before project_id was always set for task messages.
UPDATE outbox o SET project_id = t.project_id
FROM tasks t
WHERE o.task_id = t.id AND o.project_id IS NULL;

ALTER TABLE agents ADD CONSTRAINT agents_id_project_key UNIQUE (id, project_id);

ALTER TABLE agents
    DROP CONSTRAINT agents_parent_agent_id_fkey,
    DROP CONSTRAINT agents_current_task_fk,
    ADD CONSTRAINT agents_parent_same_project_fkey
        FOREIGN KEY (parent_agent_id, project_id) REFERENCES agents (id, project_id),
    ADD CONSTRAINT agents_current_task_same_project_fkey
        FOREIGN KEY (current_task_id, project_id) REFERENCES tasks (id, project_id)
        ON DELETE SET NULL (current_task_id);

ALTER TABLE tasks
    DROP CONSTRAINT tasks_reviewer_id_fkey,
    ADD CONSTRAINT tasks_reviewer_same_project_fkey
        FOREIGN KEY (reviewer_id, project_id) REFERENCES agents (id, project_id);

ALTER TABLE approvals
    DROP CONSTRAINT approvals_agent_id_fkey,
    DROP CONSTRAINT approvals_task_id_fkey,
    ADD CONSTRAINT approvals_agent_same_project_fkey
        FOREIGN KEY (agent_id, project_id) REFERENCES agents (id, project_id),
    ADD CONSTRAINT approvals_task_same_project_fkey
        FOREIGN KEY (task_id, project_id) REFERENCES tasks (id, project_id)
        ON DELETE SET NULL (task_id);

ALTER TABLE runs
    DROP CONSTRAINT runs_agent_id_fkey,
    DROP CONSTRAINT runs_task_id_fkey,
    ADD CONSTRAINT runs_agent_same_project_fkey
        FOREIGN KEY (agent_id, project_id) REFERENCES agents (id, project_id),
    ADD CONSTRAINT runs_task_same_project_fkey
        FOREIGN KEY (task_id, project_id) REFERENCES tasks (id, project_id)
        ON DELETE SET NULL (task_id);

-- A message about a task belongs to the task's project (project_id may be NULL only for
-- replies that belong to no project, which name no task).
ALTER TABLE outbox
    DROP CONSTRAINT outbox_task_id_fkey,
    ADD CONSTRAINT outbox_task_has_project CHECK (task_id IS NULL OR project_id IS NOT NULL),
    ADD CONSTRAINT outbox_task_same_project_fkey
        FOREIGN KEY (task_id, project_id) REFERENCES tasks (id, project_id) ON DELETE CASCADE;

-- The referring side of the links a task's delete follows (archive), so it does not scan.
CREATE INDEX approvals_task_idx ON approvals (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX agents_current_task_idx ON agents (current_task_id) WHERE current_task_id IS NOT NULL;
CREATE INDEX notifications_task_idx ON notifications (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX outbox_task_idx ON outbox (task_id) WHERE task_id IS NOT NULL;

-- Tables without a project_id: the task's and the agent's projects must be the same.
-- Arguments: the row's task column, then its agent column. A missing task or agent is left to
-- the foreign keys (or, for actors and authors, which have none, is not this check's concern).
CREATE FUNCTION same_project_task_agent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fields jsonb := to_jsonb(NEW);
    v_task uuid := (fields ->> TG_ARGV[0])::uuid;
    v_agent uuid := (fields ->> TG_ARGV[1])::uuid;
    v_task_project uuid;
    v_agent_project uuid;
BEGIN
    IF v_task IS NULL OR v_agent IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT project_id INTO v_task_project FROM tasks WHERE id = v_task;
    SELECT project_id INTO v_agent_project FROM agents WHERE id = v_agent;
    IF v_task_project <> v_agent_project THEN
        RAISE EXCEPTION '%: agent % belongs to project %, task % to project %',
                TG_TABLE_NAME, v_agent, v_agent_project, v_task, v_task_project
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_NAME,
                  SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER task_assignees_same_project
    AFTER INSERT OR UPDATE OF task_id, agent_id ON task_assignees
    FOR EACH ROW EXECUTE FUNCTION same_project_task_agent('task_id', 'agent_id');

CREATE CONSTRAINT TRIGGER notifications_same_project
    AFTER INSERT OR UPDATE OF task_id, agent_id ON notifications
    FOR EACH ROW EXECUTE FUNCTION same_project_task_agent('task_id', 'agent_id');

CREATE CONSTRAINT TRIGGER comments_same_project
    AFTER INSERT OR UPDATE OF task_id, author_kind, author_id ON comments
    FOR EACH ROW WHEN (NEW.author_kind = 'agent')
    EXECUTE FUNCTION same_project_task_agent('task_id', 'author_id');

CREATE CONSTRAINT TRIGGER task_transitions_same_project
    AFTER INSERT OR UPDATE OF task_id, actor_kind, actor_id ON task_transitions
    FOR EACH ROW WHEN (NEW.actor_kind = 'agent')
    EXECUTE FUNCTION same_project_task_agent('task_id', 'actor_id');

-- What was checked against a task's or agent's project stays true: neither moves.
CREATE FUNCTION project_id_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% % cannot move to another project', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = TG_NAME,
              SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME;
END $$;

CREATE TRIGGER tasks_project_fixed BEFORE UPDATE OF project_id ON tasks
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION project_id_is_fixed();

CREATE TRIGGER agents_project_fixed BEFORE UPDATE OF project_id ON agents
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION project_id_is_fixed();
