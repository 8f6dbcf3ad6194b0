-- Plain PostgreSQL path: the rollups as ordinary views with the names and columns of the TimescaleDB
-- path's continuous aggregates (0003_rollups.timescaledb.sql), computed at query time. date_bin with
-- the origin 2000-01-01 00:00 UTC gives the same minute and hour buckets as time_bucket.
-- level_max: 0 ok, 1 warning, 2 critical (the worst level within the bucket).
CREATE VIEW metric_points_1m AS
SELECT date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, tenant, host,
  count(*) AS points,
  avg(cpu_usage) AS cpu_usage_avg, max(cpu_usage) AS cpu_usage_max,
  avg(memory_usage) AS memory_usage_avg, max(memory_usage) AS memory_usage_max,
  avg(network_latency) AS network_latency_avg, max(network_latency) AS network_latency_max,
  avg(error_rate) AS error_rate_avg, max(error_rate) AS error_rate_max
FROM metric_points
GROUP BY 1, tenant, host;

CREATE VIEW metric_points_1h AS
SELECT date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, tenant, host,
  count(*) AS points,
  avg(cpu_usage) AS cpu_usage_avg, max(cpu_usage) AS cpu_usage_max,
  avg(memory_usage) AS memory_usage_avg, max(memory_usage) AS memory_usage_max,
  avg(network_latency) AS network_latency_avg, max(network_latency) AS network_latency_max,
  avg(error_rate) AS error_rate_avg, max(error_rate) AS error_rate_max
FROM metric_points
GROUP BY 1, tenant, host;

CREATE VIEW predictions_1m AS
SELECT date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, tenant, host,
  count(*) AS predictions,
  max(risk_5m) AS risk_5m_max, max(risk_15m) AS risk_15m_max,
  max(risk_30m) AS risk_30m_max, avg(risk_30m) AS risk_30m_avg, max(risk_60m) AS risk_60m_max,
  max(CASE level WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS level_max
FROM predictions
GROUP BY 1, tenant, host;

CREATE VIEW predictions_1h AS
SELECT date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, tenant, host,
  count(*) AS predictions,
  max(risk_5m) AS risk_5m_max, max(risk_15m) AS risk_15m_max,
  max(risk_30m) AS risk_30m_max, avg(risk_30m) AS risk_30m_avg, max(risk_60m) AS risk_60m_max,
  max(CASE level WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS level_max
FROM predictions
GROUP BY 1, tenant, host;
