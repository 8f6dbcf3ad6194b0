/**
 * Pipeline health: edge → gateway → Kafka → connector → TimescaleDB → exporter. Ingest and prediction
 * rates and freshness from the exporter; the gateway's and the connector's own counters (prom-client,
 * gateway/metrics.ts and timescale/connector/connector.ts); rows per minute from the rollups.
 * Job names are prometheus/prometheus.yml's.
 */
import { DashboardBuilder, DashboardCursorSync } from "@grafana/grafana-foundation-sdk/dashboard";
import { stat, thresholds, timeseries } from "../lib/panels.ts";
import { promInstant, promRange, sql } from "../lib/queries.ts";

/** `rate()` window: Grafana's `$__rate_interval` (≥ 4 scrape intervals, grows with the step). */
const RI = "$__rate_interval";

export const pipelineDashboard = () =>
  new DashboardBuilder("Downtime — pipeline health")
    .uid("downtime-pipeline")
    .description("Ingest rate, gateway errors, Kafka lag, connector rows/s, freshness, dead letters.")
    .tags(["downtime-prediction"])
    .time({ from: "now-3h", to: "now" })
    .refresh("30s")
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withPanel(
      stat(
        "Ingest",
        "Points stored per second over the last 5 minutes, all tenants (exporter).",
        [promInstant("sum(downtime_ingest_points_per_second)", "points/s")],
        6,
        4,
        true,
      ).unit("short"),
    )
    .withPanel(
      stat(
        "Freshness p99",
        "Point time to its row in the database, 99th percentile over hosts updated in the last 5 minutes (exporter).",
        [promInstant('downtime_pipeline_freshness_seconds{quantile="0.99"}', "p99")],
        6,
        4,
        true,
      )
        .unit("s")
        .thresholds(thresholds(30, 120)),
    )
    .withPanel(
      stat(
        "Kafka lag",
        "Records in the event topics the connector's consumer group has not committed (exporter, from Kafka's offsets).",
        [promInstant("sum(downtime_connector_lag_records)", "records")],
        6,
        4,
        true,
      ).thresholds(thresholds(1000, 10000)),
    )
    .withPanel(
      stat(
        "Dead letters",
        "Records the connector could not use and sent to the dead-letter topic since it started.",
        [promInstant("sum(connector_dead_letters_total)", "dead letters")],
        6,
        4,
        true,
      ).thresholds(thresholds(1, 100)),
    )
    .withPanel(
      timeseries(
        "Ingest and prediction rate",
        "Points and predictions stored per second over the last 5 minutes, per tenant (exporter, from the 1-minute rollups).",
        [
          promRange("sum by (tenant) (downtime_ingest_points_per_second)", "points {{tenant}}", "A"),
          promRange("sum by (tenant) (downtime_predictions_per_second)", "predictions {{tenant}}", "B"),
        ],
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Rows stored per minute",
        "Points and predictions per minute in the database, all tenants (metric_points_1m, predictions_1m).",
        [
          sql(`
SELECT bucket AS time, sum(points) AS points
FROM metric_points_1m
WHERE $__timeFilter(bucket)
GROUP BY 1
ORDER BY 1`).timeSeries(),
          sql(`
SELECT bucket AS time, sum(predictions) AS predictions
FROM predictions_1m
WHERE $__timeFilter(bucket)
GROUP BY 1
ORDER BY 1`)
            .timeSeries()
            .refId("B"),
        ],
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Gateway requests",
        "HTTP requests the gateway answered per second, by status.",
        [promRange(`sum by (status) (rate(gateway_http_requests_total[${RI}]))`, "{{status}}")],
        8,
      )
        .unit("reqps")
        .min(0),
    )
    .withPanel(
      timeseries(
        "Gateway errors",
        "Error answers per second by kind (unauthorized, bad_request, too_large, unavailable, broker_rejected, …).",
        [promRange(`sum by (kind) (rate(gateway_errors_total[${RI}]))`, "{{kind}}")],
        8,
      )
        .unit("reqps")
        .min(0),
    )
    .withPanel(
      timeseries(
        "Gateway → Kafka",
        "Records the broker acknowledged per second by topic, and the 99th percentile of one send.",
        [
          promRange(`sum by (topic) (rate(gateway_records_produced_total[${RI}]))`, "{{topic}}", "A"),
          promRange(
            `histogram_quantile(0.99, sum by (le) (rate(gateway_produce_duration_seconds_bucket[${RI}])))`,
            "send p99 (s)",
            "B",
          ),
        ],
        8,
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Kafka lag by group and topic",
        "Uncommitted records per consumer group (exporter, from Kafka) and per topic after the connector's last committed batch (connector).",
        [
          promRange("sum by (group) (downtime_connector_lag_records)", "group {{group}}", "A"),
          promRange("sum by (topic) (connector_consumer_lag)", "topic {{topic}}", "B"),
        ],
        8,
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Connector rows/s",
        "Rows inserted per second by table (replays excluded), and Kafka records read per second by topic.",
        [
          promRange(`sum by (table) (rate(connector_rows_inserted_total[${RI}]))`, "rows {{table}}", "A"),
          promRange(`sum by (topic) (rate(connector_records_total[${RI}]))`, "records {{topic}}", "B"),
        ],
        8,
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Freshness",
        "Point time to its row in the database over hosts updated in the last 5 minutes: median, p90, p99 (exporter).",
        [promRange("downtime_pipeline_freshness_seconds", "p{{quantile}}")],
        8,
      )
        .unit("s")
        .min(0),
    )
    .withPanel(
      timeseries(
        "Dead letters and retried failures",
        "Records sent to the dead-letter topic per second, and the connector's failed attempts per second by kind (database, dead_letter, commit; each retried — a series appears after the first failure).",
        [
          promRange(`sum(rate(connector_dead_letters_total[${RI}]))`, "dead letters", "A"),
          promRange(`sum by (kind) (rate(connector_errors_total[${RI}]))`, "failed {{kind}}", "B"),
        ],
        12,
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Components up",
        "Scrape targets up (prometheus.yml's jobs), and whether the exporter and the connector reach the database.",
        [
          promRange('up{job=~"downtime-exporter|gateway|connector"}', "{{job}} up", "A"),
          promRange("downtime_exporter_database_up", "exporter → database", "B"),
          promRange("connector_database_up", "connector → database", "C"),
        ],
        12,
      )
        .min(0)
        .max(1),
    )
    .withPanel(
      timeseries(
        "Exporter scrape time",
        "How long each scrape's database queries took (target ≤ 250 ms at 10 000 hosts).",
        [promRange("downtime_exporter_scrape_seconds", "scrape")],
        24,
        6,
      )
        .unit("s")
        .min(0),
    );
