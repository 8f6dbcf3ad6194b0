/**
 * The COPY text of the writer against a plain reference encoder (every field: `\N` for null, objects
 * as JSON, then backslash, tab, newline and carriage return escaped), on rows with every awkward
 * character in the places JSON and text fields can carry them.
 */
import { describe, expect, it } from "vitest";
import {
  ALERT_COLUMNS,
  alertLines,
  POINT_COLUMNS,
  pointLines,
  PREDICTION_COLUMNS,
  predictionLines,
} from "./copy.ts";
import type { AlertRow, PointRow, PredictionRow } from "./rows.ts";

function reference(rows: readonly object[], columns: readonly string[]): string {
  return rows
    .map(
      (row) =>
        `${columns
          .map((c) => {
            const v = (row as Record<string, unknown>)[c];
            if (v === null || v === undefined) return "\\N";
            const s = typeof v === "object" ? JSON.stringify(v) : String(v);
            return s.replace(
              /[\\\t\n\r]/g,
              (ch) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[ch]!,
            );
          })
          .join("\t")}\n`,
    )
    .join("");
}

const odd = 'a\tb\nc\rd\\e"f\u0001g\u2028h\ud800i';

describe("COPY text", () => {
  it("matches the reference encoder on plain and awkward rows", () => {
    const points: PointRow[] = [
      {
        time: "2026-12-01T12:00:00.000Z",
        tenant: "t",
        host: "h-1",
        cpu_usage: 1.5,
        memory_usage: null,
        network_latency: 1e300,
        error_rate: 0,
        metrics: { m: -0.25 },
        labels: { [odd]: odd },
      },
    ];
    const predictions: PredictionRow[] = [
      {
        time: "2026-12-01T12:00:00.000Z",
        tenant: "t",
        host: odd,
        risk: { "5m": 0.1, [odd]: 2 },
        level: "warning",
        level_since: null,
        downtime_within_minutes: 5,
        time_to_breach: {},
        anomaly: { cpu_usage: 0.1, memory_usage: 0, network_latency: 1, error_rate: 0.5 },
        contributors: [{ metric: "cpu_usage", risk_delta: null, value: 3, z: -1, anomaly: 0.1 }],
        model_version: odd,
        steps_seen: 12,
      },
    ];
    const alerts: AlertRow[] = [
      { time: "2026-12-01T12:00:00.000Z", tenant: "t", host: "h", from_level: "ok", to_level: odd, risk: {} },
    ];
    expect(pointLines(points)).toBe(reference(points, POINT_COLUMNS));
    expect(predictionLines(predictions)).toBe(reference(predictions, PREDICTION_COLUMNS));
    expect(alertLines(alerts)).toBe(reference(alerts, ALERT_COLUMNS));
  });
});
