-- The permission layer for Claude Code and Codex: every tool call their hooks (or Claude Code's
-- permission-prompt tool) send is decided and recorded; a RED one waits for a human as an
-- approval that remembers the call.

CREATE TYPE tool_client AS ENUM ('claude_code', 'codex', 'mcp');
CREATE TYPE tool_decision AS ENUM ('allowed', 'denied');

ALTER TABLE approvals
    ADD COLUMN tool_name       text CHECK (length(tool_name) BETWEEN 1 AND 200),
    ADD COLUMN tool_input      jsonb,
    -- The agent and this hash name "the same call": repeated while the approval is open, it
    -- attaches to it instead of opening a second card.
    ADD COLUMN tool_input_hash text CHECK (tool_input_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN tool_cwd        text CHECK (length(tool_cwd) <= 4096),
    ADD COLUMN tool_rule       text CHECK (length(tool_rule) <= 1000),
    ADD COLUMN tool_client     tool_client,
    -- The arguments as a person changed them before approving (`/edit`).
    ADD COLUMN updated_input   jsonb,
    -- Set when a call was given this approval's decision: a decision is used once.
    ADD COLUMN answered_at     timestamptz,
    ADD CONSTRAINT approvals_tool_call_whole
        CHECK ((tool_name IS NULL) = (tool_input IS NULL) AND (tool_name IS NULL) = (tool_input_hash IS NULL)
               AND (tool_name IS NULL) = (tool_client IS NULL));

CREATE INDEX approvals_unanswered_tool_calls ON approvals (agent_id, tool_input_hash)
    WHERE tool_input_hash IS NOT NULL AND answered_at IS NULL;

-- Standing grants: a human's "allow this for an hour / for this task" — one agent, or (a CAO's
-- `/grant`) a role or the whole project; a rule in Claude Code's syntax, never a bare shell.
CREATE TYPE grant_scope AS ENUM ('agent', 'role', 'project');

CREATE TABLE tool_grants (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id),
    number          integer NOT NULL CHECK (number > 0),
    scope           grant_scope NOT NULL,
    agent_id        uuid REFERENCES agents (id),
    role            agent_role,
    rule            text NOT NULL CHECK (length(rule) BETWEEN 1 AND 1000),
    -- While the agent works on this task (and until expires_at).
    task_id         uuid REFERENCES tasks (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL,
    approval_id     uuid REFERENCES approvals (id) ON DELETE SET NULL,
    created_by_kind actor_kind NOT NULL,
    created_by_name text NOT NULL,
    created_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_by_name text,
    -- When the expiry job recorded that its time was up.
    lapsed_at       timestamptz,
    uses            integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    last_used_at    timestamptz,
    UNIQUE (project_id, number),
    CHECK ((scope = 'agent') = (agent_id IS NOT NULL)),
    CHECK ((scope = 'role') = (role IS NOT NULL)),
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '7 days'),
    CHECK ((revoked_at IS NULL) = (revoked_by_name IS NULL))
);

CREATE INDEX tool_grants_live ON tool_grants (project_id, expires_at) WHERE revoked_at IS NULL;

-- Every decision on a tool call: what was asked (the hash of the input and a masked summary,
-- never the raw input), what decided, and how long the agent waited.
CREATE TABLE tool_calls (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id),
    agent_id    uuid NOT NULL REFERENCES agents (id),
    task_id     uuid REFERENCES tasks (id) ON DELETE SET NULL,
    client      tool_client NOT NULL,
    session_id  text CHECK (length(session_id) BETWEEN 1 AND 256),
    cwd         text CHECK (length(cwd) <= 4096),
    tool_name   text NOT NULL CHECK (length(tool_name) BETWEEN 1 AND 200),
    input_hash  text NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
    summary     text NOT NULL CHECK (length(summary) <= 2000),
    risk        risk_level NOT NULL,
    rule        text NOT NULL CHECK (length(rule) <= 1000),
    decision    tool_decision NOT NULL,
    decided_by  text NOT NULL,
    reason      text CHECK (length(reason) <= 4000),
    approval_id uuid REFERENCES approvals (id) ON DELETE SET NULL,
    grant_id    uuid REFERENCES tool_grants (id) ON DELETE SET NULL,
    latency_ms  integer NOT NULL CHECK (latency_ms >= 0),
    created_at  timestamptz NOT NULL
);

CREATE INDEX tool_calls_agent ON tool_calls (agent_id, created_at DESC);
CREATE INDEX tool_calls_task ON tool_calls (task_id, created_at) WHERE task_id IS NOT NULL;

ALTER TABLE projects ADD COLUMN next_grant_number integer NOT NULL DEFAULT 1 CHECK (next_grant_number > 0);

-- Archived approvals keep the same columns (archive copies them by name).
ALTER TABLE archive.approvals
    ADD COLUMN tool_name       text,
    ADD COLUMN tool_input      jsonb,
    ADD COLUMN tool_input_hash text,
    ADD COLUMN tool_cwd        text,
    ADD COLUMN tool_rule       text,
    ADD COLUMN tool_client     tool_client,
    ADD COLUMN updated_input   jsonb,
    ADD COLUMN answered_at     timestamptz;
