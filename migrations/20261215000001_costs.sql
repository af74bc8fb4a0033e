-- Runs carry their usage: tokens by kind and the model, so that a cost can be computed from
-- the price table when the agent gives none, and checked against it when it does.
--
-- `tokens` stays the total (input + output + cache reads + cache writes; reasoning tokens are
-- part of the output). `cost_micros` is NULL only for an unpriced run (a model the price table
-- does not know and no reported cost): its cost is unknown, never $0. `priced_micros` is the
-- table's price when it could be computed, kept beside a reported cost; `cost_mismatch` says
-- the two differ by more than 5 %.

CREATE TYPE cost_source AS ENUM ('reported', 'priced', 'unpriced');

ALTER TABLE runs
    ALTER COLUMN cost_micros DROP NOT NULL,
    ADD COLUMN input_tokens       bigint CHECK (input_tokens >= 0),
    ADD COLUMN output_tokens      bigint CHECK (output_tokens >= 0),
    ADD COLUMN cache_read_tokens  bigint CHECK (cache_read_tokens >= 0),
    ADD COLUMN cache_write_tokens bigint CHECK (cache_write_tokens >= 0),
    ADD COLUMN reasoning_tokens   bigint CHECK (reasoning_tokens >= 0 AND reasoning_tokens <= output_tokens),
    ADD COLUMN priced_micros      bigint CHECK (priced_micros >= 0),
    ADD COLUMN cost_source        cost_source NOT NULL DEFAULT 'reported',
    ADD COLUMN cost_mismatch      boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT runs_cost_known_unless_unpriced CHECK ((cost_micros IS NULL) = (cost_source = 'unpriced')),
    ADD CONSTRAINT runs_mismatch_needs_both CHECK (NOT cost_mismatch OR (cost_source = 'reported' AND priced_micros IS NOT NULL));

-- A period's costs by agent or by model (`/costs`, `GET /api/costs/summary`, the standup's
-- month): read from the index alone.
CREATE INDEX runs_project_time_costs_idx ON runs (project_id, created_at) INCLUDE (agent_id, model, cost_micros, tokens);

-- Archived runs keep the same columns (archive copies them by name).
ALTER TABLE archive.runs
    ALTER COLUMN cost_micros DROP NOT NULL,
    ADD COLUMN input_tokens       bigint,
    ADD COLUMN output_tokens      bigint,
    ADD COLUMN cache_read_tokens  bigint,
    ADD COLUMN cache_write_tokens bigint,
    ADD COLUMN reasoning_tokens   bigint,
    ADD COLUMN priced_micros      bigint,
    ADD COLUMN cost_source        cost_source NOT NULL DEFAULT 'reported',
    ADD COLUMN cost_mismatch      boolean NOT NULL DEFAULT false;
