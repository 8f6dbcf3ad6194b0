/**
 * Host detail: one host's metrics, its risk per horizon, time to breach, anomaly scores and level
 * changes (also as annotations on every time series). `$host` lists every host of `$tenant` from
 * `host_latest`; history comes from TimescaleDB, the live numbers from the exporter (present for hosts
 * the cardinality guard keeps: at or above the risk floor, or among the top N).
 */
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { TIMESCALE } from "../lib/datasources.ts";
import {
  hostVariable,
  levelMappings,
  riskThresholds,
  stat,
  table,
  tenantVariable,
  thresholds,
  timeseries,
} from "../lib/panels.ts";
import { promInstant, promRange, sql } from "../lib/queries.ts";

const HOST = "tenant = '$tenant' AND host = '$host'";

/** One metric from the 1-minute rollup: its mean and maximum per minute. */
const rollup = (metric: string, label: string) =>
  sql(`
SELECT bucket AS time, ${metric}_avg AS "${label} (mean)", ${metric}_max AS "${label} (max)"
FROM metric_points_1m
WHERE ${HOST} AND $__timeFilter(bucket)
ORDER BY 1`).timeSeries();

export const hostDashboard = () =>
  new DashboardBuilder("Downtime — host detail")
    .uid("downtime-host")
    .description("One host: metrics, risk per horizon, time to breach, anomaly and level changes.")
    .tags(["downtime-prediction"])
    .time({ from: "now-6h", to: "now" })
    .refresh("30s")
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(tenantVariable())
    .withVariable(hostVariable())
    .annotation(
      new AnnotationQueryBuilder()
        .name("Level changes")
        .datasource(TIMESCALE)
        .enable(true)
        .iconColor("red")
        .target(
          sql(`
SELECT time, from_level || ' → ' || to_level AS text, to_level AS tags
FROM alerts
WHERE ${HOST} AND $__timeFilter(time)
ORDER BY time`),
        ),
    )
    .withPanel(
      stat(
        "Level",
        "Level of the host's newest prediction, and since when (host_latest).",
        [sql(`SELECT level, level_since AS "since" FROM host_latest WHERE ${HOST}`)],
        6,
      ).mappings(levelMappings),
    )
    .withPanel(
      stat(
        "Risk now",
        "Calibrated probability of a downtime within each horizon, from the exporter (empty when the cardinality guard leaves this host out: its history is below).",
        [promInstant('downtime_risk{tenant="$tenant", host="$host"}', "{{horizon}}")],
        10,
      )
        .unit("percentunit")
        .thresholds(riskThresholds()),
    )
    .withPanel(
      stat(
        "Silent for",
        "Seconds since the host's newest point (exporter).",
        [promInstant('downtime_host_silence_seconds{tenant="$tenant", host="$host"}', "silent for")],
        8,
      )
        .unit("s")
        .thresholds(thresholds(120, 300)),
    )
    .withPanel(
      timeseries(
        "Risk per horizon",
        "Every prediction of the host: calibrated probability of a downtime within 5, 15 and 30 minutes.",
        [
          sql(`
SELECT time, risk_5m AS "5m", risk_15m AS "15m", risk_30m AS "30m"
FROM predictions
WHERE ${HOST} AND $__timeFilter(time)
ORDER BY time`).timeSeries(),
        ],
        24,
      )
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(riskThresholds()),
    )
    .withPanel(
      timeseries(
        "Time to breach",
        "Seconds until each metric reaches its breach level on its recent trend; only metrics with a forecast breach (exporter).",
        [promRange('downtime_time_to_breach_seconds{tenant="$tenant", host="$host"}', "{{metric}}")],
      )
        .unit("s")
        .min(0),
    )
    .withPanel(
      timeseries(
        "Anomaly per metric",
        "Anomaly score of each metric (tail probability of its recent forecast errors, 0..1), per prediction.",
        [
          sql(`
SELECT time,
  (anomaly ->> 'cpu_usage')::double precision AS cpu_usage,
  (anomaly ->> 'memory_usage')::double precision AS memory_usage,
  (anomaly ->> 'network_latency')::double precision AS network_latency,
  (anomaly ->> 'error_rate')::double precision AS error_rate
FROM predictions
WHERE ${HOST} AND $__timeFilter(time)
ORDER BY time`).timeSeries(),
        ],
      )
        .unit("percentunit")
        .min(0)
        .max(1),
    )
    .withPanel(
      timeseries("CPU", "CPU usage per minute (metric_points_1m).", [rollup("cpu_usage", "cpu")], 12)
        .unit("percent")
        .min(0)
        .max(100),
    )
    .withPanel(
      timeseries(
        "Memory",
        "Memory usage per minute (metric_points_1m).",
        [rollup("memory_usage", "memory")],
        12,
      )
        .unit("percent")
        .min(0)
        .max(100),
    )
    .withPanel(
      timeseries(
        "Network latency",
        "Network latency per minute (metric_points_1m).",
        [rollup("network_latency", "latency")],
        12,
      )
        .unit("ms")
        .min(0),
    )
    .withPanel(
      timeseries(
        "Error rate",
        "Fraction of failed requests per minute (metric_points_1m).",
        [rollup("error_rate", "error rate")],
        12,
      )
        .unit("percentunit")
        .min(0),
    )
    .withPanel(
      table(
        "Level changes",
        "The host's alert level transitions in the time range, newest first, with the risk at the time.",
        [
          sql(`
SELECT time, from_level AS "from", to_level AS "to",
  (risk ->> '5m')::double precision AS "risk 5m",
  (risk ->> '15m')::double precision AS "risk 15m",
  (risk ->> '30m')::double precision AS "risk 30m"
FROM alerts
WHERE ${HOST} AND $__timeFilter(time)
ORDER BY time DESC
LIMIT 200`),
        ],
        24,
      )
        .mappings(levelMappings)
        .overrideByRegexp("^risk", [{ id: "unit", value: "percentunit" }]),
    );
