-- Questions agents ask humans: free text, or 2–8 options (one, or several with multi_select).
-- The first operator's answer wins; an unanswered question expires (`questions.expire_after`).
-- Questions are not archived with their task: the task goes, the question keeps its text and
-- loses the link (ON DELETE SET NULL).

CREATE TYPE question_status AS ENUM ('pending', 'answered', 'expired', 'canceled');

ALTER TABLE projects
    ADD COLUMN next_question_number integer NOT NULL DEFAULT 1 CHECK (next_question_number > 0);

CREATE TABLE questions (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id),
    number           integer NOT NULL CHECK (number > 0),
    agent_id         uuid NOT NULL REFERENCES agents (id),
    -- The core asks only about a task of the agent's own project.
    task_id          uuid REFERENCES tasks (id) ON DELETE SET NULL,
    question         text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 1000),
    options          text[] CHECK (options IS NULL OR (cardinality(options) BETWEEN 2 AND 8
                                   AND array_position(options, NULL) IS NULL)),
    multi_select     boolean NOT NULL DEFAULT false,
    status           question_status NOT NULL,
    answer_text      text CHECK (length(answer_text) <= 4000),
    answer_options   text[],
    answered_by_kind actor_kind,
    answered_by_id   uuid,
    answered_by_name text,
    answered_at      timestamptz,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (project_id, number),
    -- Several answers only where several may be chosen.
    CHECK (multi_select = false OR options IS NOT NULL),
    -- A pending question carries no answer; a closed one says when and by whom it closed.
    CHECK ((status = 'pending') = (answered_at IS NULL)),
    CHECK ((answered_at IS NULL) = (answered_by_name IS NULL) AND (answered_at IS NULL) = (answered_by_kind IS NULL)),
    -- Only an answered question has an answer, and it has one: text or options.
    CHECK ((status = 'answered') = (answer_text IS NOT NULL OR answer_options IS NOT NULL)),
    CHECK (answer_options IS NULL OR (options IS NOT NULL AND answer_options <@ options
                                      AND cardinality(answer_options) >= 1
                                      AND (multi_select OR cardinality(answer_options) = 1))),
    CHECK (expires_at > created_at)
);

CREATE INDEX questions_open ON questions (project_id, expires_at) WHERE status = 'pending';
CREATE INDEX questions_agent ON questions (agent_id, created_at DESC);
CREATE INDEX questions_task ON questions (task_id, created_at) WHERE task_id IS NOT NULL;
