-- Questions, continued.
--
-- A multi-select question's options are toggled one click at a time before Done answers it:
-- what is picked so far is the question's (shared by everyone in the chat, as its one message
-- shows it), and only ever some of its own options.
--
-- Claude Code's AskUserQuestion asks up to four questions in one tool call: each becomes a
-- question here, tied to the call by its input's hash and its place in the call, so that the
-- same call repeated (after its wait ran out) finds them again, and their answers go back to
-- it once (`tool_used_at`).

ALTER TABLE questions
    ADD COLUMN picked text[] NOT NULL DEFAULT '{}'
        CHECK (picked <@ coalesce(options, '{}'::text[]) AND array_position(picked, NULL) IS NULL),
    ADD COLUMN tool_input_hash text CHECK (tool_input_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN tool_question_index smallint CHECK (tool_question_index BETWEEN 0 AND 3),
    ADD COLUMN tool_used_at timestamptz,
    ADD CONSTRAINT questions_tool_call_whole
        CHECK ((tool_input_hash IS NULL) = (tool_question_index IS NULL)
               AND (tool_used_at IS NULL OR tool_input_hash IS NOT NULL));

CREATE INDEX questions_tool_call ON questions (agent_id, tool_input_hash, tool_question_index)
    WHERE tool_input_hash IS NOT NULL AND tool_used_at IS NULL;
