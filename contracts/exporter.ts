/**
 * The exporter's Prometheus metrics (issue #13): names, types, labels and meaning in one place, so the
 * exporter (`exporter/`), the Prometheus rules (`prometheus/`) and the Grafana dashboards (`grafana/`)
 * cannot drift apart — their tests check every name they use against this list.
 *
 * Conventions: seconds and ratios (0..1) as Prometheus asks; gauges, because the exporter reads the
 * database's current state (`host_latest`, the rollups) on each scrape rather than counting events
 * itself. Per-host series are subject to the exporter's cardinality guard (hosts at or above a risk
 * floor, plus the top N by 30-min risk); fleet aggregates are always complete.
 */

/** Horizons of `downtime_risk` (the model's; the `60m` column exists in the schema but is not predicted). */
export const EXPORTED_HORIZONS = ["5m", "15m", "30m"] as const;

/** Numeric encoding of a level in `downtime_level` (also the rollups' `level_max`). */
export const LEVEL_VALUE = { ok: 0, warning: 1, critical: 2 } as const;

export interface ExportedMetric {
  name: string;
  type: "gauge" | "counter" | "histogram";
  labels: readonly string[];
  help: string;
  /** Per-host series, subject to the cardinality guard. */
  perHost: boolean;
}

const m = (
  name: string,
  type: ExportedMetric["type"],
  labels: readonly string[],
  help: string,
  perHost = false,
): ExportedMetric => ({ name, type, labels, help, perHost });

export const EXPORTER_METRICS = {
  risk: m(
    "downtime_risk",
    "gauge",
    ["tenant", "host", "horizon"],
    "Calibrated probability (0..1) that a downtime starts within the horizon, from the host's newest prediction",
    true,
  ),
  level: m(
    "downtime_level",
    "gauge",
    ["tenant", "host"],
    "Alert level of the host's newest prediction: 0 ok, 1 warning, 2 critical",
    true,
  ),
  timeToBreach: m(
    "downtime_time_to_breach_seconds",
    "gauge",
    ["tenant", "host", "metric"],
    "Seconds until the metric reaches its breach level on its recent trend (only metrics with a forecast breach)",
    true,
  ),
  silence: m(
    "downtime_host_silence_seconds",
    "gauge",
    ["tenant", "host"],
    "Seconds since the host's newest point (a host that went quiet may be down)",
    true,
  ),
  hosts: m("downtime_hosts", "gauge", ["tenant", "level"], "Hosts per alert level (every host, no guard)"),
  silentHosts: m(
    "downtime_silent_hosts",
    "gauge",
    ["tenant"],
    "Hosts whose newest point is older than the exporter's silence threshold",
  ),
  ingestRate: m(
    "downtime_ingest_points_per_second",
    "gauge",
    ["tenant"],
    "Points stored per second over the last 5 minutes (from the 1-minute rollup)",
  ),
  predictionRate: m(
    "downtime_predictions_per_second",
    "gauge",
    ["tenant"],
    "Predictions stored per second over the last 5 minutes (from the 1-minute rollup)",
  ),
  freshness: m(
    "downtime_pipeline_freshness_seconds",
    "gauge",
    ["quantile"],
    "Point time to its row in the database (host_latest.updated_at − point_time) over hosts updated in the last 5 minutes; quantile 0.5, 0.9, 0.99",
  ),
  connectorLag: m(
    "downtime_connector_lag_records",
    "gauge",
    ["group"],
    "Records in the event topics the connector's consumer group has not committed (absent when the exporter has no Kafka brokers configured)",
  ),
  modelInfo: m(
    "downtime_model_info",
    "gauge",
    ["version"],
    "1 for each model version seen in the last hour's predictions",
  ),
  warnings: m(
    "downtime_warnings",
    "gauge",
    ["tenant", "outcome"],
    "Warnings (transitions from ok) in the quality window, by outcome: followed (critical or the host silent within the horizon), false_alarm (neither), pending (horizon not over yet)",
  ),
  warningLead: m(
    "downtime_warning_lead_seconds",
    "gauge",
    ["tenant", "quantile"],
    "How early followed warnings came: from the warning to the critical transition or the host falling silent; quantile 0.5, 0.9",
  ),
  hostsOmitted: m(
    "downtime_exporter_hosts_omitted",
    "gauge",
    ["tenant"],
    "Hosts left out of the per-host series by the cardinality guard",
  ),
  scrapeSeconds: m(
    "downtime_exporter_scrape_seconds",
    "gauge",
    [],
    "How long this scrape's database queries took, seconds",
  ),
  up: m(
    "downtime_exporter_database_up",
    "gauge",
    [],
    "1 when the last scrape could read the database, else 0",
  ),
} as const satisfies Record<string, ExportedMetric>;

export type ExportedMetricKey = keyof typeof EXPORTER_METRICS;

/** Every exported name (for the rules' and dashboards' tests). */
export const EXPORTED_NAMES: readonly string[] = Object.values(EXPORTER_METRICS).map((x) => x.name);
