-- Usage from the agents' OpenTelemetry exports (`POST /v1/metrics`): where each series (a
-- metric and its attributes, by its MD5) stood when last counted, so that a cumulative point
-- adds only what grew and a point sent again counts nothing. What was counted is recorded as
-- runs.
CREATE TABLE usage_series (
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    series   text NOT NULL CHECK (series ~ '^[0-9a-f]{32}$'),
    start_ns bigint NOT NULL CHECK (start_ns >= 0),
    time_ns  bigint NOT NULL CHECK (time_ns >= 0),
    value    double precision NOT NULL CHECK (value >= 0),
    PRIMARY KEY (agent_id, series)
);
