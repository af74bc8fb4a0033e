-- Budgets by the month and by the project. An agent gets a monthly cap (NULL: none) beside its
-- daily one, and counts its calendar month's spend (UTC) as it counts its day's. A project
-- gets daily and monthly caps over all its agents in `project_budgets`, a row only while it
-- has a cap: its spend counters are kept from then on (set from the runs when the first cap is
-- set), so that projects without caps pay nothing for them.

ALTER TABLE agents
    ADD COLUMN monthly_cap_micros  bigint CHECK (monthly_cap_micros >= 0),
    ADD COLUMN month_spend_micros  bigint NOT NULL DEFAULT 0 CHECK (month_spend_micros >= 0),
    -- The first day of the month `month_spend_micros` belongs to.
    ADD COLUMN spend_month         date NOT NULL DEFAULT date_trunc('month', now() AT TIME ZONE 'UTC')::date
        CHECK (extract(day FROM spend_month) = 1),
    ADD COLUMN budget_warned_month date;

UPDATE agents a SET month_spend_micros = r.sum
FROM (SELECT agent_id, sum(cost_micros)::bigint AS sum FROM runs
      WHERE created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      GROUP BY agent_id) r
WHERE r.agent_id = a.id AND r.sum IS NOT NULL;

CREATE TABLE project_budgets (
    project_id          uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    daily_cap_micros    bigint CHECK (daily_cap_micros >= 0),
    monthly_cap_micros  bigint CHECK (monthly_cap_micros >= 0),
    today_spend_micros  bigint NOT NULL DEFAULT 0 CHECK (today_spend_micros >= 0),
    spend_day           date NOT NULL,
    month_spend_micros  bigint NOT NULL DEFAULT 0 CHECK (month_spend_micros >= 0),
    spend_month         date NOT NULL CHECK (extract(day FROM spend_month) = 1),
    warned_day          date,
    warned_month        date,
    CHECK (daily_cap_micros IS NOT NULL OR monthly_cap_micros IS NOT NULL)
);
