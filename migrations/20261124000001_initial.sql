-- Mission Control: the canonical store. Every rule the database can enforce is enforced here,
-- so that no adapter (bot, HTTP, job, or a human with psql) can write an illegal state.

CREATE TYPE agent_role AS ENUM ('lead', 'specialist', 'intern');
CREATE TYPE agent_status AS ENUM ('active', 'paused', 'quarantined', 'offline', 'drained');
CREATE TYPE task_type AS ENUM ('content', 'social', 'email_marketing', 'customer_research',
                               'seo_research', 'engineering', 'docs', 'ops');
CREATE TYPE task_status AS ENUM ('inbox', 'assigned', 'in_progress', 'review', 'needs_approval',
                                 'blocked', 'done', 'canceled');
CREATE TYPE risk_level AS ENUM ('green', 'yellow', 'red');
CREATE TYPE approval_status AS ENUM ('pending', 'approved', 'denied', 'expired', 'canceled', 'escalated');
CREATE TYPE run_status AS ENUM ('succeeded', 'failed');
CREATE TYPE alert_severity AS ENUM ('info', 'warning', 'critical');
CREATE TYPE operator_role AS ENUM ('viewer', 'operator', 'cao');
CREATE TYPE actor_kind AS ENUM ('agent', 'human', 'system');

CREATE TABLE projects (
    id                   uuid PRIMARY KEY,
    slug                 text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name                 text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    squad_paused         boolean NOT NULL DEFAULT false,
    -- Per-project counters: `#12` for tasks, `A7` for approvals.
    next_task_number     integer NOT NULL DEFAULT 1 CHECK (next_task_number > 0),
    next_approval_number integer NOT NULL DEFAULT 1 CHECK (next_approval_number > 0),
    standup_time         time NOT NULL DEFAULT '09:00',
    standup_timezone     text NOT NULL DEFAULT 'UTC',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE operators (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    role             operator_role NOT NULL,
    -- Telegram users are linked by numeric id, never by username.
    telegram_user_id bigint UNIQUE,
    revoked_at       timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE TABLE agents (
    id                 uuid PRIMARY KEY,
    project_id         uuid NOT NULL REFERENCES projects (id),
    name               text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    role               agent_role NOT NULL,
    parent_agent_id    uuid REFERENCES agents (id),
    depth              integer NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 2),
    allowed_task_types task_type[] NOT NULL DEFAULT '{}',
    status             agent_status NOT NULL DEFAULT 'active',
    -- Why the agent is not active ('squad', 'budget', 'manual', 'error_streak', ...), so that
    -- resuming the squad does not also resume an agent paused for its budget.
    status_cause       text,
    status_reason      text,
    last_heartbeat     timestamptz,
    stale_since        timestamptz,
    error_streak       integer NOT NULL DEFAULT 0 CHECK (error_streak >= 0),
    current_task_id    uuid,
    -- Money is stored in micro-dollars: exact sums, no float drift.
    daily_cap_micros   bigint NOT NULL CHECK (daily_cap_micros >= 0),
    per_run_cap_micros bigint NOT NULL CHECK (per_run_cap_micros >= 0),
    today_spend_micros bigint NOT NULL DEFAULT 0 CHECK (today_spend_micros >= 0),
    total_spend_micros bigint NOT NULL DEFAULT 0 CHECK (total_spend_micros >= 0),
    -- The UTC day `today_spend_micros` belongs to; a new day starts from zero.
    spend_day          date NOT NULL,
    budget_warned_day  date,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK (parent_agent_id IS NULL OR parent_agent_id <> id),
    CHECK ((parent_agent_id IS NULL) = (depth = 0)),
    CHECK (status = 'active' OR status_cause IS NOT NULL)
);
CREATE UNIQUE INDEX agents_project_name_key ON agents (project_id, lower(name));
CREATE INDEX agents_parent_idx ON agents (parent_agent_id);

CREATE TABLE tasks (
    id                      uuid PRIMARY KEY,
    project_id              uuid NOT NULL REFERENCES projects (id),
    number                  integer NOT NULL CHECK (number > 0),
    title                   text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description             text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    type                    task_type NOT NULL,
    priority                smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
    status                  task_status NOT NULL DEFAULT 'inbox',
    reviewer_id             uuid REFERENCES agents (id),
    work_plan               text[] NOT NULL DEFAULT '{}',
    deliverable             text CHECK (length(deliverable) <= 20000),
    review_cycles           integer NOT NULL DEFAULT 0 CHECK (review_cycles >= 0),
    budget_allocated_micros bigint CHECK (budget_allocated_micros >= 0),
    actual_cost_micros      bigint NOT NULL DEFAULT 0 CHECK (actual_cost_micros >= 0),
    blocked_reason          text,
    created_by              text NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    completed_at            timestamptz,
    UNIQUE (project_id, number),
    UNIQUE (id, project_id),
    CHECK (status <> 'blocked' OR blocked_reason IS NOT NULL),
    CHECK (status <> 'in_progress' OR cardinality(work_plan) BETWEEN 3 AND 6),
    CHECK (status <> 'review' OR deliverable IS NOT NULL),
    CHECK ((status IN ('done', 'canceled')) = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_project_status_idx ON tasks (project_id, status, priority, number);

ALTER TABLE agents ADD CONSTRAINT agents_current_task_fk
    FOREIGN KEY (current_task_id) REFERENCES tasks (id) ON DELETE SET NULL;

CREATE TABLE task_assignees (
    task_id     uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    agent_id    uuid NOT NULL REFERENCES agents (id),
    assigned_at timestamptz NOT NULL,
    PRIMARY KEY (task_id, agent_id)
);
CREATE INDEX task_assignees_agent_idx ON task_assignees (agent_id);

CREATE TABLE task_transitions (
    id              bigserial PRIMARY KEY,
    task_id         uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    from_status     task_status NOT NULL,
    to_status       task_status NOT NULL,
    actor_kind      actor_kind NOT NULL,
    actor_id        uuid,
    actor_name      text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{1,128}$'),
    created_at      timestamptz NOT NULL,
    CHECK (from_status <> to_status),
    UNIQUE (task_id, idempotency_key)
);
CREATE INDEX task_transitions_task_time_idx ON task_transitions (task_id, created_at);

CREATE TABLE comments (
    id                  uuid PRIMARY KEY,
    task_id             uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_kind         actor_kind NOT NULL,
    author_id           uuid,
    author_name         text NOT NULL,
    body                text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
    -- Set when the comment came from (or was mirrored to) Telegram, so edits can follow it.
    telegram_chat_id    bigint,
    telegram_message_id integer,
    created_at          timestamptz NOT NULL,
    edited_at           timestamptz
);
CREATE INDEX comments_task_time_idx ON comments (task_id, created_at);
CREATE UNIQUE INDEX comments_telegram_message_key ON comments (telegram_chat_id, telegram_message_id)
    WHERE telegram_message_id IS NOT NULL;

CREATE TABLE documents (
    id         uuid PRIMARY KEY,
    task_id    uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body       text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX documents_task_idx ON documents (task_id);

CREATE TABLE approvals (
    id                    uuid PRIMARY KEY,
    project_id            uuid NOT NULL REFERENCES projects (id),
    number                integer NOT NULL CHECK (number > 0),
    agent_id              uuid NOT NULL REFERENCES agents (id),
    task_id               uuid REFERENCES tasks (id) ON DELETE SET NULL,
    action_type           text NOT NULL CHECK (action_type ~ '^[a-z0-9_.:-]{1,64}$'),
    action_summary        text NOT NULL CHECK (length(btrim(action_summary)) BETWEEN 1 AND 2000),
    risk                  risk_level NOT NULL,
    justification         text NOT NULL CHECK (length(justification) <= 4000),
    rollback_plan         text CHECK (length(rollback_plan) <= 4000),
    estimated_cost_micros bigint CHECK (estimated_cost_micros >= 0),
    status                approval_status NOT NULL,
    decided_by_kind       actor_kind,
    decided_by_id         uuid,
    decided_by_name       text,
    decided_at            timestamptz,
    decision_note         text,
    expires_at            timestamptz NOT NULL,
    escalated_at          timestamptz,
    created_at            timestamptz NOT NULL,
    UNIQUE (project_id, number),
    -- Open approvals carry no decision; closed ones carry all of it.
    CHECK ((status IN ('pending', 'escalated')) =
           (decided_at IS NULL AND decided_by_kind IS NULL AND decided_by_name IS NULL)),
    CHECK (status <> 'denied' OR length(btrim(coalesce(decision_note, ''))) > 0),
    CHECK (status <> 'escalated' OR escalated_at IS NOT NULL)
);
CREATE INDEX approvals_open_idx ON approvals (project_id, expires_at) WHERE status IN ('pending', 'escalated');

CREATE TABLE runs (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id),
    agent_id    uuid NOT NULL REFERENCES agents (id),
    task_id     uuid REFERENCES tasks (id) ON DELETE SET NULL,
    cost_micros bigint NOT NULL CHECK (cost_micros >= 0),
    status      run_status NOT NULL,
    model       text CHECK (length(model) <= 100),
    tokens      bigint CHECK (tokens >= 0),
    error       text CHECK (length(error) <= 4000),
    created_at  timestamptz NOT NULL
);
CREATE INDEX runs_agent_time_idx ON runs (agent_id, created_at DESC);
CREATE INDEX runs_project_time_idx ON runs (project_id, created_at DESC);
CREATE INDEX runs_task_time_idx ON runs (task_id, created_at DESC);

CREATE TABLE alerts (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id),
    type         text NOT NULL CHECK (type ~ '^[a-z_]{1,40}$'),
    severity     alert_severity NOT NULL,
    -- What the alert is about, e.g. 'agent:<uuid>' or 'task:<uuid>': one open alert per subject.
    subject      text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    message      text NOT NULL CHECK (length(message) BETWEEN 1 AND 4000),
    details      jsonb NOT NULL DEFAULT '{}',
    occurrences  integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    resolved     boolean NOT NULL DEFAULT false,
    resolved_at  timestamptz,
    resolved_by  text,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    CHECK (resolved = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX alerts_one_open_per_subject ON alerts (project_id, type, subject) WHERE NOT resolved;
CREATE INDEX alerts_project_time_idx ON alerts (project_id, created_at DESC);

CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    agent_id     uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    task_id      uuid REFERENCES tasks (id) ON DELETE CASCADE,
    body         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX notifications_pending_idx ON notifications (agent_id, created_at) WHERE delivered_at IS NULL;

CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    project_id  uuid REFERENCES projects (id),
    occurred_at timestamptz NOT NULL,
    actor_kind  actor_kind NOT NULL,
    actor_id    uuid,
    actor_name  text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_.]{1,60}$'),
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_kind, entity_id);

-- The audit log is append-only: no update or delete, by anyone.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    prefix      text NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    operator_id uuid REFERENCES operators (id),
    agent_id    uuid REFERENCES agents (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at  timestamptz,
    CHECK ((operator_id IS NULL) <> (agent_id IS NULL))
);

CREATE TABLE activities (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id),
    kind       text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    title      text NOT NULL,
    body       text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);
CREATE INDEX activities_project_time_idx ON activities (project_id, kind, created_at DESC);

-- Telegram side ---------------------------------------------------------------------------

CREATE TABLE telegram_chats (
    chat_id            bigint PRIMARY KEY,
    title              text,
    is_forum           boolean NOT NULL DEFAULT false,
    lang               text NOT NULL DEFAULT 'en' CHECK (lang ~ '^[a-z]{2}$'),
    -- The project commands in this chat act on (`/switch`).
    current_project_id uuid REFERENCES projects (id),
    updated_at         timestamptz NOT NULL
);

-- A project's ops chat; a chat serves one project and a project posts to one chat.
CREATE TABLE chat_bindings (
    project_id         uuid PRIMARY KEY REFERENCES projects (id),
    chat_id            bigint NOT NULL UNIQUE REFERENCES telegram_chats (chat_id),
    approvals_topic_id integer,
    alerts_topic_id    integer,
    standup_topic_id   integer,
    bound_by           text NOT NULL,
    bound_at           timestamptz NOT NULL
);

CREATE TABLE task_threads (
    task_id          uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    chat_id          bigint NOT NULL,
    -- Forum topic of the task, or (in a plain group) the root message its updates reply to.
    topic_id         integer,
    root_message_id  integer,
    card_message_id  integer,
    topic_name       text CHECK (length(topic_name) <= 128),
    closed           boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL,
    CHECK (topic_id IS NOT NULL OR root_message_id IS NOT NULL)
);
CREATE UNIQUE INDEX task_threads_topic_key ON task_threads (chat_id, topic_id) WHERE topic_id IS NOT NULL;

-- Everything the bot sends starts here, written in the same transaction as the change it reports.
CREATE TABLE outbox (
    id                  bigserial PRIMARY KEY,
    project_id          uuid REFERENCES projects (id),
    -- Where the message goes: a system topic ('approvals', 'alerts', 'standup', 'general'),
    -- the thread of a task, or a chat given explicitly (replies to commands).
    target              text NOT NULL CHECK (target IN ('approvals', 'alerts', 'standup', 'general', 'task', 'chat')),
    task_id             uuid REFERENCES tasks (id) ON DELETE CASCADE,
    chat_id             bigint,
    -- What happened, as data; the dispatcher renders it in the chat's language.
    kind                text NOT NULL CHECK (kind ~ '^[a-z_]{1,60}$'),
    payload             jsonb NOT NULL,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'skipped')),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     timestamptz NOT NULL,
    last_error          text,
    telegram_message_id integer,
    created_at          timestamptz NOT NULL,
    delivered_at        timestamptz,
    CHECK (target <> 'task' OR task_id IS NOT NULL),
    CHECK (target <> 'chat' OR chat_id IS NOT NULL),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');

-- Messages the bot sent for an entity (an approval, an alert, a task card), to edit them later.
CREATE TABLE telegram_messages (
    entity_kind text NOT NULL,
    entity_id   uuid NOT NULL,
    chat_id     bigint NOT NULL,
    message_id  integer NOT NULL,
    topic_id    integer,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (entity_kind, entity_id, chat_id)
);

CREATE TABLE processed_updates (
    update_id    bigint PRIMARY KEY,
    processed_at timestamptz NOT NULL
);

CREATE TABLE job_runs (
    id            bigserial PRIMARY KEY,
    job           text NOT NULL CHECK (job ~ '^[a-z_]{1,40}$'),
    -- The occurrence being run; the unique key lets one replica of many claim it.
    scheduled_for timestamptz NOT NULL,
    instance      text NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    outcome       text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed')),
    detail        text,
    UNIQUE (job, scheduled_for),
    CHECK ((outcome = 'running') = (finished_at IS NULL))
);
