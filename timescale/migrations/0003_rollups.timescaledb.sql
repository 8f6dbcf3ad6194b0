-- TimescaleDB path: the rollups as continuous aggregates, real-time (materialized_only = false: rows
-- newer than the last refresh are aggregated at query time), so they answer exactly what the plain
-- path's views answer. Refreshed by policies; the 1-hour ones are built from the raw tables (an average
-- of averages would weigh buckets, not points). Columns: see 0003_rollups.postgres.sql (the same).
CREATE MATERIALIZED VIEW metric_points_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, tenant, host,
  count(*) AS points,
  avg(cpu_usage) AS cpu_usage_avg, max(cpu_usage) AS cpu_usage_max,
  avg(memory_usage) AS memory_usage_avg, max(memory_usage) AS memory_usage_max,
  avg(network_latency) AS network_latency_avg, max(network_latency) AS network_latency_max,
  avg(error_rate) AS error_rate_avg, max(error_rate) AS error_rate_max
FROM metric_points
GROUP BY bucket, tenant, host
WITH NO DATA;

CREATE MATERIALIZED VIEW metric_points_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, tenant, host,
  count(*) AS points,
  avg(cpu_usage) AS cpu_usage_avg, max(cpu_usage) AS cpu_usage_max,
  avg(memory_usage) AS memory_usage_avg, max(memory_usage) AS memory_usage_max,
  avg(network_latency) AS network_latency_avg, max(network_latency) AS network_latency_max,
  avg(error_rate) AS error_rate_avg, max(error_rate) AS error_rate_max
FROM metric_points
GROUP BY bucket, tenant, host
WITH NO DATA;

CREATE MATERIALIZED VIEW predictions_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, tenant, host,
  count(*) AS predictions,
  max(risk_5m) AS risk_5m_max, max(risk_15m) AS risk_15m_max,
  max(risk_30m) AS risk_30m_max, avg(risk_30m) AS risk_30m_avg, max(risk_60m) AS risk_60m_max,
  max(CASE level WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS level_max
FROM predictions
GROUP BY bucket, tenant, host
WITH NO DATA;

CREATE MATERIALIZED VIEW predictions_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, tenant, host,
  count(*) AS predictions,
  max(risk_5m) AS risk_5m_max, max(risk_15m) AS risk_15m_max,
  max(risk_30m) AS risk_30m_max, avg(risk_30m) AS risk_30m_avg, max(risk_60m) AS risk_60m_max,
  max(CASE level WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS level_max
FROM predictions
GROUP BY bucket, tenant, host
WITH NO DATA;

-- Refresh windows: the 1-minute rollups every minute over the last 3 hours (late points within the
-- edge's open step are covered many times over), the 1-hour ones every 30 minutes over 2 days.
SELECT add_continuous_aggregate_policy('metric_points_1m',
  start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');
SELECT add_continuous_aggregate_policy('predictions_1m',
  start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute');
SELECT add_continuous_aggregate_policy('metric_points_1h',
  start_offset => INTERVAL '2 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('predictions_1h',
  start_offset => INTERVAL '2 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
