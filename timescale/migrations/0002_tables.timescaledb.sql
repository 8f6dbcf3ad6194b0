-- TimescaleDB path: the three event tables become hypertables (time partitioning; the indexes of
-- 0002_tables.sql are kept on every chunk), compressed after 7 days (segmented by host, so one host's
-- history decompresses alone) and dropped after their retention.
SELECT create_hypertable('metric_points', by_range('time', INTERVAL '1 day'), create_default_indexes => false);
SELECT create_hypertable('predictions', by_range('time', INTERVAL '1 day'), create_default_indexes => false);
SELECT create_hypertable('alerts', by_range('time', INTERVAL '30 days'), create_default_indexes => false);

ALTER TABLE metric_points SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'tenant, host',
  timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE predictions SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'tenant, host',
  timescaledb.compress_orderby = 'time DESC'
);
SELECT add_compression_policy('metric_points', compress_after => INTERVAL '7 days');
SELECT add_compression_policy('predictions', compress_after => INTERVAL '7 days');

SELECT add_retention_policy('metric_points', drop_after => INTERVAL '90 days');
SELECT add_retention_policy('predictions', drop_after => INTERVAL '90 days');
SELECT add_retention_policy('alerts', drop_after => INTERVAL '2 years');
