-- The event tables and host_latest, on both paths. Natural primary keys include the time column, so a
-- replayed event (Kafka's at-least-once delivery) is a no-op with ON CONFLICT DO NOTHING. Times are the
-- event's own (a point's timestamp, a prediction's as_of, a transition's at), never the insert time.

-- One row per metric point (topic `metrics`). The four canonical metrics are nullable: a point may carry
-- any of them; `metrics` holds the extra named numbers, `labels` the strings.
CREATE TABLE metric_points (
  time            timestamptz      NOT NULL,
  tenant          text             NOT NULL,
  host            text             NOT NULL,
  cpu_usage       double precision,           -- percent 0..100
  memory_usage    double precision,           -- percent 0..100
  network_latency double precision,           -- milliseconds
  error_rate      double precision,           -- fraction 0..1
  metrics         jsonb            NOT NULL DEFAULT '{}'::jsonb,
  labels          jsonb            NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant, host, time)
);
CREATE INDEX metric_points_time_idx ON metric_points (time DESC);

-- One row per prediction (topic `predictions`); time = as_of. `risk` is the prediction's map as sent;
-- risk_5m … risk_60m are the same numbers as columns (generated, so they never disagree) for rollups,
-- indexes and Grafana; a horizon the model does not predict is NULL.
CREATE TABLE predictions (
  time                    timestamptz NOT NULL,
  tenant                  text        NOT NULL,
  host                    text        NOT NULL,
  risk                    jsonb       NOT NULL,
  risk_5m                 double precision GENERATED ALWAYS AS ((risk ->> '5m')::double precision) STORED,
  risk_15m                double precision GENERATED ALWAYS AS ((risk ->> '15m')::double precision) STORED,
  risk_30m                double precision GENERATED ALWAYS AS ((risk ->> '30m')::double precision) STORED,
  risk_60m                double precision GENERATED ALWAYS AS ((risk ->> '60m')::double precision) STORED,
  level                   text        NOT NULL CHECK (level IN ('ok', 'warning', 'critical')),
  level_since             timestamptz,
  downtime_within_minutes double precision,
  time_to_breach          jsonb       NOT NULL DEFAULT '{}'::jsonb, -- metric -> seconds
  anomaly                 jsonb       NOT NULL DEFAULT '{}'::jsonb, -- metric -> 0..1
  contributors            jsonb       NOT NULL DEFAULT '[]'::jsonb,
  model_version           text        NOT NULL,
  steps_seen              integer     NOT NULL,
  PRIMARY KEY (tenant, host, time)
);
CREATE INDEX predictions_time_idx ON predictions (time DESC);
-- "Which hosts were at level X, when": only the rows that are not ok (the rare ones) are indexed.
CREATE INDEX predictions_level_time_idx ON predictions (level, time DESC) WHERE level <> 'ok';

-- One row per alert level transition (topic `alerts`); time = at. Two transitions of one host at the
-- same step (ok -> warning -> critical) differ in to_level.
CREATE TABLE alerts (
  time       timestamptz NOT NULL,
  tenant     text        NOT NULL,
  host       text        NOT NULL,
  from_level text        NOT NULL CHECK (from_level IN ('ok', 'warning', 'critical')),
  to_level   text        NOT NULL CHECK (to_level IN ('ok', 'warning', 'critical')),
  risk       jsonb       NOT NULL,
  PRIMARY KEY (tenant, host, time, to_level)
);
CREATE INDEX alerts_time_idx ON alerts (time DESC);
CREATE INDEX alerts_to_level_time_idx ON alerts (to_level, time DESC);

-- One row per (tenant, host): the newest point and the newest prediction, for fleet queries that must
-- not scan history. The connector upserts each half only forward in time:
--   ON CONFLICT (tenant, host) DO UPDATE SET point_time = excluded.point_time, …
--   WHERE host_latest.point_time IS NULL OR excluded.point_time > host_latest.point_time
-- (the same with prediction_time), so a replayed or late event never moves a host back.
CREATE TABLE host_latest (
  tenant                  text        NOT NULL,
  host                    text        NOT NULL,
  point_time              timestamptz,
  cpu_usage               double precision,
  memory_usage            double precision,
  network_latency         double precision,
  error_rate              double precision,
  metrics                 jsonb,
  labels                  jsonb,
  prediction_time         timestamptz,
  risk                    jsonb,
  risk_5m                 double precision GENERATED ALWAYS AS ((risk ->> '5m')::double precision) STORED,
  risk_15m                double precision GENERATED ALWAYS AS ((risk ->> '15m')::double precision) STORED,
  risk_30m                double precision GENERATED ALWAYS AS ((risk ->> '30m')::double precision) STORED,
  risk_60m                double precision GENERATED ALWAYS AS ((risk ->> '60m')::double precision) STORED,
  level                   text        CHECK (level IN ('ok', 'warning', 'critical')),
  level_since             timestamptz,
  downtime_within_minutes double precision,
  time_to_breach          jsonb,
  anomaly                 jsonb,
  model_version           text,
  steps_seen              integer,
  updated_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, host)
);
-- "Hosts at level X, riskiest first" and "hosts silent since …".
CREATE INDEX host_latest_level_idx ON host_latest (tenant, level, risk_30m DESC NULLS LAST);
CREATE INDEX host_latest_point_time_idx ON host_latest (tenant, point_time);
