-- The runs' spend rolled up per UTC day, project, agent and model, so that a month's costs
-- (`/costs month`, `GET /api/costs/summary`, the standup's month to date) sum at most 31 rows
-- per agent and model instead of every run of the month — a busy project records millions.
--
-- It counts the runs and the archived runs alike: money spent stays spent when `archive` moves
-- a finished task's runs to `archive.runs` (as the agents' and projects' spend does). Kept by
-- triggers on both tables, in the transaction that writes the runs (a run reported over REST
-- or MCP, the runs of an OTLP export, the archive's move, which adds and takes away the same),
-- so it is always exactly the runs there are: whatever writes runs cannot forget it. A
-- statement's runs change each of their keys once (the trigger sees them as a table). A
-- restore loads it with triggers off and then rebuilds it from the runs; `verify-db` checks
-- that it adds up.
--
-- `model` is '' for runs that named none. `cost_micros` sums the known costs (an unpriced
-- run's is unknown and adds nothing); `unpriced_runs` counts them apart.

CREATE TABLE daily_costs (
    project_id    uuid   NOT NULL,
    day           date   NOT NULL,
    agent_id      uuid   NOT NULL,
    model         text   NOT NULL,
    runs          bigint NOT NULL CHECK (runs >= 0),
    failed_runs   bigint NOT NULL CHECK (failed_runs >= 0 AND failed_runs <= runs),
    unpriced_runs bigint NOT NULL CHECK (unpriced_runs >= 0 AND unpriced_runs <= runs),
    cost_micros   bigint NOT NULL CHECK (cost_micros >= 0),
    tokens        bigint NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (project_id, day, agent_id, model)
);

-- One function for the three triggers (a transition table is seen only by the trigger's own
-- function): the statement's old runs are taken away, its new runs added.
CREATE FUNCTION daily_costs_runs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE daily_costs d
        SET runs = d.runs - o.runs, failed_runs = d.failed_runs - o.failed_runs,
            unpriced_runs = d.unpriced_runs - o.unpriced_runs, cost_micros = d.cost_micros - o.cost_micros,
            tokens = d.tokens - o.tokens
        FROM (SELECT project_id, (created_at AT TIME ZONE 'UTC')::date AS day, agent_id, COALESCE(model, '') AS model,
                     count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed_runs,
                     count(*) FILTER (WHERE cost_micros IS NULL) AS unpriced_runs,
                     COALESCE(sum(cost_micros), 0) AS cost_micros, COALESCE(sum(tokens), 0) AS tokens
              FROM old_runs GROUP BY 1, 2, 3, 4) o
        WHERE d.project_id = o.project_id AND d.day = o.day AND d.agent_id = o.agent_id AND d.model = o.model;
        -- A key whose runs are all gone keeps no row.
        DELETE FROM daily_costs d
        USING (SELECT DISTINCT project_id, (created_at AT TIME ZONE 'UTC')::date AS day, agent_id,
                               COALESCE(model, '') AS model FROM old_runs) k
        WHERE d.project_id = k.project_id AND d.day = k.day AND d.agent_id = k.agent_id AND d.model = k.model
          AND d.runs = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO daily_costs AS d (project_id, day, agent_id, model, runs, failed_runs, unpriced_runs, cost_micros, tokens)
        SELECT project_id, (created_at AT TIME ZONE 'UTC')::date, agent_id, COALESCE(model, ''),
               count(*), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE cost_micros IS NULL),
               COALESCE(sum(cost_micros), 0), COALESCE(sum(tokens), 0)
        FROM new_runs GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (project_id, day, agent_id, model) DO UPDATE SET
            runs = d.runs + EXCLUDED.runs, failed_runs = d.failed_runs + EXCLUDED.failed_runs,
            unpriced_runs = d.unpriced_runs + EXCLUDED.unpriced_runs,
            cost_micros = d.cost_micros + EXCLUDED.cost_micros, tokens = d.tokens + EXCLUDED.tokens;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER runs_daily_costs_insert AFTER INSERT ON runs
    REFERENCING NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();
CREATE TRIGGER runs_daily_costs_delete AFTER DELETE ON runs
    REFERENCING OLD TABLE AS old_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();
CREATE TRIGGER runs_daily_costs_update AFTER UPDATE ON runs
    REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();

CREATE TRIGGER archived_runs_daily_costs_insert AFTER INSERT ON archive.runs
    REFERENCING NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();
CREATE TRIGGER archived_runs_daily_costs_delete AFTER DELETE ON archive.runs
    REFERENCING OLD TABLE AS old_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();
CREATE TRIGGER archived_runs_daily_costs_update AFTER UPDATE ON archive.runs
    REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION daily_costs_runs_changed();

-- The runs already there.
INSERT INTO daily_costs (project_id, day, agent_id, model, runs, failed_runs, unpriced_runs, cost_micros, tokens)
SELECT project_id, (created_at AT TIME ZONE 'UTC')::date, agent_id, COALESCE(model, ''),
       count(*), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE cost_micros IS NULL),
       COALESCE(sum(cost_micros), 0), COALESCE(sum(tokens), 0)
FROM (SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM runs
      UNION ALL SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM archive.runs) r
GROUP BY 1, 2, 3, 4;

-- The summaries no longer read the runs: the index that let them read a month from the index
-- alone only slows the runs' writes now (the last hour's spend uses runs_project_time_idx).
DROP INDEX runs_project_time_costs_idx;
