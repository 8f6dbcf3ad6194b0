/**
 * Event records as the edge writes them (envelope JSON value, `<tenant>/<host>` key, `event-id` header),
 * built from the contracts' types, for connector tests and benchmarks.
 */
import { EVENT_ID_HEADER, type EventEnvelope, type MetricsEventBody } from "../../contracts/events.ts";
import { METRICS } from "../../contracts/metrics.ts";
import { hostKey } from "../../contracts/names.ts";
import type { AlertTransition, Prediction } from "../../contracts/prediction.ts";

export interface EventRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

const record = (e: EventEnvelope): EventRecord => ({
  topic: e.topic,
  key: e.key,
  value: JSON.stringify(e),
  headers: { [EVENT_ID_HEADER]: e.id },
});

/** A deterministic metric value for (host index, minute, metric). */
export function valueOf(h: number, minute: number, metric: (typeof METRICS)[number]): number {
  const base = { cpu_usage: 40, memory_usage: 60, network_latency: 80, error_rate: 0.01 }[metric];
  const wiggle = ((h * 31 + minute * 7) % 17) / 17;
  return metric === "error_rate" ? base * (1 + wiggle) : Math.round((base + wiggle * 10) * 1000) / 1000;
}

/**
 * One host's events for `steps` minutes from `startMs`: per minute a `metrics` event with one point
 * and a `predictions` event, and a warning transition at minute 5 (when steps > 5).
 */
export function hostEvents(tenant: string, h: number, startMs: number, steps: number): EventRecord[] {
  const host = `host-${h}`;
  const key = hostKey(tenant, host);
  const out: EventRecord[] = [];
  let seq = 0;
  for (let i = 0; i < steps; i++) {
    const t = startMs + i * 60_000;
    const point = { timestamp: t, ...Object.fromEntries(METRICS.map((m) => [m, valueOf(h, i, m)])) };
    const body: MetricsEventBody = {
      host,
      points: [{ ...point, metrics: { disk_usage: 50 + i }, labels: { region: "eu" } }],
    };
    out.push(record({ id: `inc-${h}:${seq++}`, topic: "metrics", key, ts: t, payload: body }));
    const level = i >= 5 ? "warning" : "ok";
    const p: Prediction = {
      host,
      as_of: new Date(t).toISOString(),
      risk: { "5m": 0.01 * i, "15m": 0.02 * i, "30m": Math.min(1, 0.05 * i), "60m": Math.min(1, 0.06 * i) },
      level,
      level_since: i >= 5 ? new Date(startMs + 5 * 60_000).toISOString() : null,
      downtime_within_minutes: null,
      time_to_breach: i >= 5 ? { memory_usage: 3600 - i * 60 } : {},
      anomaly: { cpu_usage: 0.1, memory_usage: 0.2, network_latency: 0.3, error_rate: 0.4 },
      contributors: [{ metric: "memory_usage", risk_delta: null, value: 61, z: 1.5, anomaly: 0.2 }],
      model_version: "test-model",
      steps_seen: i + 1,
    };
    out.push(record({ id: `inc-${h}:${seq++}`, topic: "predictions", key, ts: t, payload: p }));
    if (i === 5) {
      const a: AlertTransition = {
        host,
        from: "ok",
        to: "warning",
        at: new Date(t).toISOString(),
        risk: p.risk,
      };
      out.push(record({ id: `inc-${h}:${seq++}`, topic: "alerts", key, ts: t, payload: a }));
    }
  }
  return out;
}

/** The rows `hostEvents` yields per table. */
export function expectedRows(
  hosts: number,
  steps: number,
): { points: number; predictions: number; alerts: number } {
  return { points: hosts * steps, predictions: hosts * steps, alerts: steps > 5 ? hosts : 0 };
}
