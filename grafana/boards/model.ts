/**
 * Model quality: how the fleet's risk is distributed, how many warnings were followed by a downtime
 * (a critical transition or the host falling silent within the horizon) and how early, and which model
 * versions are predicting. Outcomes and lead times are the exporter's (exporter/quality.ts); the
 * per-warning table is the same question asked of the alerts table (critical within 30 minutes).
 */
import { DashboardBuilder, DashboardCursorSync } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as BarChartPanel } from "@grafana/grafana-foundation-sdk/barchart";
import { stat, table, tenantVariable, thresholds, timeseries } from "../lib/panels.ts";
import { promInstant, promRange, promTable, sql } from "../lib/queries.ts";

const OUTCOMES = 'downtime_warnings{tenant="$tenant"}';

export const modelDashboard = () =>
  new DashboardBuilder("Downtime — model quality")
    .uid("downtime-model")
    .description("Risk distribution, warnings and their outcome, lead time, model versions.")
    .tags(["downtime-prediction"])
    .time({ from: "now-24h", to: "now" })
    .refresh("1m")
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(tenantVariable())
    .withPanel(
      stat(
        "Warnings by outcome",
        "Warnings (transitions from ok) in the exporter's quality window (EXPORTER_QUALITY_WINDOW_SECONDS, default 24 h): followed by a downtime within the horizon, false alarm, or still pending.",
        [promInstant(`sum by (outcome) (${OUTCOMES})`, "{{outcome}}")],
        10,
      ),
    )
    .withPanel(
      stat(
        "Precision",
        "Followed warnings among the judged ones (followed + false alarms; pending ones are not judged yet).",
        [
          promInstant(
            `sum(downtime_warnings{tenant="$tenant", outcome="followed"}) / sum(downtime_warnings{tenant="$tenant", outcome=~"followed|false_alarm"})`,
            "precision",
          ),
        ],
        7,
      )
        .unit("percentunit")
        .thresholds(thresholds(0.5, 0.8))
        .mappings([]),
    )
    .withPanel(
      stat(
        "Median lead time",
        "How long before the downtime the followed warnings came (median).",
        [promInstant('downtime_warning_lead_seconds{tenant="$tenant", quantile="0.5"}', "median lead")],
        7,
      ).unit("s"),
    )
    .withPanel(
      new BarChartPanel()
        .title("Risk distribution now")
        .description("Hosts per tenth of 30-minute risk, from each host's newest prediction (host_latest).")
        .span(12)
        .height(8)
        .xField("30-min risk")
        .withTarget(
          sql(`
SELECT to_char((b - 1) / 10.0, 'FM0.0') || '–' || to_char(b / 10.0, 'FM0.0') AS "30-min risk",
  count(h.host) AS hosts
FROM generate_series(1, 10) AS b
LEFT JOIN host_latest h
  ON h.tenant = '$tenant' AND least(width_bucket(h.risk_30m, 0, 1, 10), 10) = b
GROUP BY b
ORDER BY b`),
        ),
    )
    .withPanel(
      timeseries(
        "Hosts at risk over time",
        "Per minute: hosts predicted, and those whose 30-minute risk reached 0.5 and 0.8 (predictions_1m).",
        [
          sql(`
SELECT bucket AS time,
  count(*) AS "hosts predicted",
  count(*) FILTER (WHERE risk_30m_max >= 0.5) AS "30-min risk ≥ 0.5",
  count(*) FILTER (WHERE risk_30m_max >= 0.8) AS "30-min risk ≥ 0.8"
FROM predictions_1m
WHERE tenant = '$tenant' AND $__timeFilter(bucket)
GROUP BY 1
ORDER BY 1`).timeSeries(),
        ],
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Warnings by outcome over time",
        "The exporter's judgement of the quality window's warnings, over time.",
        [promRange(`sum by (outcome) (${OUTCOMES})`, "{{outcome}}")],
      ).min(0),
    )
    .withPanel(
      timeseries(
        "Lead time of followed warnings",
        "From the warning to the critical transition or the host falling silent; quantiles over the quality window.",
        [promRange('downtime_warning_lead_seconds{tenant="$tenant"}', "p{{quantile}}")],
      )
        .unit("s")
        .min(0),
    )
    .withPanel(
      table(
        "Warnings and what followed",
        "Each warning (transition from ok) in the time range and the first critical transition of the host within 30 minutes (the exporter's default horizon), with the lead. A host falling silent also counts for the exporter, not here.",
        [
          sql(`
SELECT w.time AS "warning at", w.host, w.to_level AS "level",
  (w.risk ->> '30m')::double precision AS "30-min risk",
  c.time AS "critical at",
  extract(epoch FROM c.time - w.time) AS "lead"
FROM alerts w
LEFT JOIN LATERAL (
  SELECT a.time FROM alerts a
  WHERE a.tenant = w.tenant AND a.host = w.host AND a.to_level = 'critical'
    AND a.time >= w.time AND a.time <= w.time + interval '30 minutes'
  ORDER BY a.time
  LIMIT 1
) c ON true
WHERE w.tenant = '$tenant' AND w.from_level = 'ok' AND $__timeFilter(w.time)
ORDER BY w.time DESC
LIMIT 200`),
        ],
        24,
      )
        .overrideByName("lead", [{ id: "unit", value: "s" }])
        .overrideByName("30-min risk", [{ id: "unit", value: "percentunit" }]),
    )
    .withPanel(
      table("Model versions (exporter)", "Model versions seen in the last hour's predictions.", [
        promTable("downtime_model_info"),
      ]),
    )
    .withPanel(
      table(
        "Model versions per host",
        "Which model version made each host's newest prediction, and when the newest was made.",
        [
          sql(`
SELECT model_version AS "model version", count(*) AS hosts, max(prediction_time) AS "newest prediction"
FROM host_latest
WHERE tenant = '$tenant' AND model_version IS NOT NULL
GROUP BY 1
ORDER BY hosts DESC`),
        ],
      ),
    )
    .withPanel(
      timeseries(
        "Predictions per second",
        "Predictions stored per second over the last 5 minutes (exporter, from the 1-minute rollup).",
        [promRange('downtime_predictions_per_second{tenant="$tenant"}', "{{tenant}}")],
        24,
      ).min(0),
    );
