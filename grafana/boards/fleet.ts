/**
 * Fleet overview: which hosts are at risk now, how many per level, what drives the risk, who went quiet.
 * Per-host live series come from the exporter (riskiest hosts only, by its cardinality guard); the
 * complete lists come from `host_latest` in TimescaleDB.
 */
import { DashboardBuilder, DashboardCursorSync } from "@grafana/grafana-foundation-sdk/dashboard";
import { promInstant, promRange, sql } from "../lib/queries.ts";
import {
  levelMappings,
  riskThresholds,
  stat,
  table,
  tenantVariable,
  thresholds,
  timeseries,
} from "../lib/panels.ts";

export const fleetDashboard = () =>
  new DashboardBuilder("Downtime — fleet overview")
    .uid("downtime-fleet")
    .description("Hosts by risk, hosts per level, what drives the risk and which hosts went silent.")
    .tags(["downtime-prediction"])
    .time({ from: "now-6h", to: "now" })
    .refresh("30s")
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(tenantVariable())
    .withPanel(
      stat(
        "Hosts per level",
        "Every host of the tenant by the level of its newest prediction (exporter, no cardinality guard).",
        [promInstant('sum by (level) (downtime_hosts{tenant="$tenant"})', "{{level}}")],
        12,
      ),
    )
    .withPanel(
      stat(
        "Silent hosts",
        "Hosts whose newest point is older than the exporter's silence threshold (EXPORTER_SILENCE_SECONDS, default 300 s).",
        [promInstant('sum(downtime_silent_hosts{tenant="$tenant"})', "silent")],
        6,
      ).thresholds(thresholds(1, 10)),
    )
    .withPanel(
      stat(
        "Hosts without per-host series",
        "Hosts the exporter's cardinality guard left out of downtime_risk & co. (below the risk floor and not in the top N); the tables below list every host.",
        [promInstant('sum(downtime_exporter_hosts_omitted{tenant="$tenant"})', "omitted")],
        6,
      ),
    )
    .withPanel(
      table(
        "Hosts by risk",
        "Every host's newest prediction, riskiest (30-min horizon) first, from host_latest.",
        [
          sql(`
SELECT host, level,
  risk_5m AS "risk 5m", risk_15m AS "risk 15m", risk_30m AS "risk 30m",
  downtime_within_minutes AS "down within (min)",
  level_since AS "level since", point_time AS "newest point", model_version AS "model"
FROM host_latest
WHERE tenant = '$tenant'
ORDER BY risk_30m DESC NULLS LAST, host
LIMIT 100`),
        ],
        24,
        10,
      )
        .mappings(levelMappings)
        .thresholds(riskThresholds())
        .overrideByRegexp("^risk", [
          { id: "unit", value: "percentunit" },
          { id: "custom.cellOptions", value: { type: "color-background" } },
        ])
        .overrideByName("level", [{ id: "custom.cellOptions", value: { type: "color-text" } }]),
    )
    .withPanel(
      timeseries("Hosts per level over time", "Hosts of the tenant per level over time (exporter).", [
        promRange('sum by (level) (downtime_hosts{tenant="$tenant"})', "{{level}}"),
      ]).min(0),
    )
    .withPanel(
      timeseries(
        "Riskiest hosts — 30-min risk",
        "The ten hosts with the highest calibrated 30-minute risk at each moment (exporter).",
        [promRange('topk(10, downtime_risk{tenant="$tenant", horizon="30m"})', "{{host}}")],
      )
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(riskThresholds()),
    )
    .withPanel(
      table(
        "Top contributors",
        "Which metrics the model blames for the hosts at risk (level not ok or 30-min risk ≥ 0.5): how many such hosts list the metric among their top contributors, the mean risk it accounts for and the riskiest of those hosts. From each host's newest prediction.",
        [
          sql(`
SELECT c.value ->> 'metric' AS metric,
  count(*) AS hosts,
  avg((c.value ->> 'risk_delta')::double precision) AS "mean risk delta",
  max((c.value ->> 'anomaly')::double precision) AS "max anomaly",
  array_to_string((array_agg(h.host ORDER BY h.risk_30m DESC NULLS LAST))[1:5], ', ') AS "riskiest hosts"
FROM host_latest h
JOIN predictions p ON p.tenant = h.tenant AND p.host = h.host AND p.time = h.prediction_time
CROSS JOIN LATERAL jsonb_array_elements(p.contributors) AS c
WHERE h.tenant = '$tenant' AND (h.level <> 'ok' OR h.risk_30m >= 0.5)
GROUP BY 1
ORDER BY hosts DESC, "mean risk delta" DESC NULLS LAST`),
        ],
      ).overrideByRegexp("risk delta|anomaly", [{ id: "unit", value: "percentunit" }]),
    )
    .withPanel(
      table(
        "Silent hosts — which",
        "Hosts with no point for more than 5 minutes (the exporter's default silence threshold), longest silent first, with their last level and risk.",
        [
          sql(`
SELECT host, point_time AS "newest point",
  extract(epoch FROM now() - point_time) AS "silent for",
  level AS "last level", risk_30m AS "last 30-min risk"
FROM host_latest
WHERE tenant = '$tenant' AND point_time < now() - interval '5 minutes'
ORDER BY point_time
LIMIT 100`),
        ],
      )
        .mappings(levelMappings)
        .overrideByName("silent for", [{ id: "unit", value: "s" }])
        .overrideByName("last 30-min risk", [{ id: "unit", value: "percentunit" }]),
    )
    .withPanel(
      timeseries(
        "Silent hosts over time",
        "Hosts without a point for longer than the silence threshold, over time (exporter).",
        [promRange('sum(downtime_silent_hosts{tenant="$tenant"})', "silent hosts")],
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Fleet risk (1-minute rollup)",
        "Highest and mean 30-minute risk over the tenant's hosts per minute, from predictions_1m.",
        [
          sql(`
SELECT bucket AS time,
  max(risk_30m_max) AS "max 30-min risk",
  avg(risk_30m_avg) AS "mean 30-min risk"
FROM predictions_1m
WHERE tenant = '$tenant' AND $__timeFilter(bucket)
GROUP BY 1
ORDER BY 1`).timeSeries(),
        ],
      )
        .unit("percentunit")
        .min(0)
        .max(1),
    );
