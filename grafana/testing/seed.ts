/**
 * The seeded run of grafana/queries.test.ts: an hour of one tenant's events as the edge writes them
 * (contracts/events.ts envelopes, `<tenant>/<host>` keys, `event-id` headers), for three hosts whose
 * stories every panel can show:
 *
 * - `db-failing` — ok, a warning 12 minutes ago, critical 6 minutes ago (a followed warning, 6 min
 *   lead); memory heading for its breach level (time to breach), contributors and anomaly scores;
 * - `web-healthy` — ok all along, low risk;
 * - `cache-silent` — a warning 50 minutes ago that nothing followed, back to ok, then no point for the
 *   last 16 minutes (a silent host).
 *
 * Plus one malformed record, which the connector sends to the dead-letter topic.
 */
import { EVENT_ID_HEADER, type EventEnvelope, type MetricsEventBody } from "../../contracts/events.ts";
import { hostKey } from "../../contracts/names.ts";
import type { AlertTransition, Contributor, Prediction } from "../../contracts/prediction.ts";

export const SEED_TENANT = "acme";
export const SEED_HOSTS = { failing: "db-failing", healthy: "web-healthy", silent: "cache-silent" } as const;

export interface SeedRecord {
  topic: string;
  key: string;
  value: string;
  headers: { key: string; value: string }[];
}

type Level = Prediction["level"];

interface Minute {
  /** Minutes before `now` (60 … 0). */
  ago: number;
  level: Level;
  risk30m: number;
  memory: number;
}

/** What each host does at each minute (undefined: no point, no prediction). */
function story(host: string, ago: number): Minute | undefined {
  if (host === SEED_HOSTS.failing) {
    const level: Level = ago <= 6 ? "critical" : ago <= 12 ? "warning" : "ok";
    const risk30m = Math.min(0.97, 0.05 + Math.max(0, 30 - ago) * 0.035);
    return { ago, level, risk30m, memory: Math.min(99, 60 + Math.max(0, 30 - ago) * 1.3) };
  }
  if (host === SEED_HOSTS.healthy) return { ago, level: "ok", risk30m: 0.03, memory: 41 };
  if (ago < 16) return undefined; // cache-silent went quiet
  const level: Level = ago <= 50 && ago > 40 ? "warning" : "ok";
  return { ago, level, risk30m: level === "warning" ? 0.62 : 0.1, memory: 55 };
}

/** The seed's records, oldest first, with event times relative to `nowMs`. */
export function seedRecords(nowMs: number): SeedRecord[] {
  const out: SeedRecord[] = [];
  for (const host of Object.values(SEED_HOSTS)) {
    const key = hostKey(SEED_TENANT, host);
    let seq = 0;
    const push = (e: Omit<EventEnvelope, "id" | "key">): void => {
      const id = `grafana-seed-${host}:${seq++}`;
      out.push({
        topic: e.topic,
        key,
        value: JSON.stringify({ id, key, ...e }),
        headers: [{ key: EVENT_ID_HEADER, value: id }],
      });
    };
    let prev: Minute | undefined;
    let levelSince: string | null = null;
    for (let ago = 60; ago >= 0; ago--) {
      const m = story(host, ago);
      if (m === undefined) continue;
      // The newest point half a minute ago, so the live hosts are not silent.
      const t = nowMs - ago * 60_000 - 30_000;
      const at = new Date(t).toISOString();
      const body: MetricsEventBody = {
        host,
        points: [
          {
            timestamp: t,
            cpu_usage: m.level === "ok" ? 35 : 88,
            memory_usage: m.memory,
            network_latency: m.level === "critical" ? 420 : 40,
            error_rate: m.level === "critical" ? 0.2 : 0.01,
            labels: { region: "eu" },
          },
        ],
      };
      push({ topic: "metrics", ts: t, payload: body });
      if (prev !== undefined && prev.level !== m.level) {
        levelSince = at;
        const a: AlertTransition = {
          host,
          from: prev.level,
          to: m.level,
          at,
          risk: { "5m": m.risk30m / 3, "15m": m.risk30m / 2, "30m": m.risk30m },
        };
        push({ topic: "alerts", ts: t, payload: a });
      }
      const atRisk = m.level !== "ok";
      const contributors: Contributor[] = atRisk
        ? [
            { metric: "memory_usage", risk_delta: 0.4, value: m.memory, z: 4.2, anomaly: 0.9 },
            { metric: "error_rate", risk_delta: 0.1, value: 0.2, z: 2.5, anomaly: 0.6 },
          ]
        : [];
      const p: Prediction = {
        host,
        as_of: at,
        risk: { "5m": m.risk30m / 3, "15m": m.risk30m / 2, "30m": m.risk30m },
        level: m.level,
        level_since: levelSince,
        downtime_within_minutes: m.risk30m >= 0.5 ? 30 : null,
        time_to_breach: host === SEED_HOSTS.failing && ago <= 20 ? { memory_usage: 60 + ago * 30 } : {},
        anomaly: {
          cpu_usage: atRisk ? 0.7 : 0.1,
          memory_usage: atRisk ? 0.9 : 0.1,
          network_latency: 0.2,
          error_rate: atRisk ? 0.6 : 0.05,
        },
        contributors,
        model_version: "grafana-seed-model",
        steps_seen: 600 + 60 - ago,
      };
      push({ topic: "predictions", ts: t, payload: p });
      prev = m;
    }
  }
  return out;
}

/** A record the connector cannot parse (it goes to the dead-letter topic). */
export const malformedRecord = (): SeedRecord => ({
  topic: "metrics",
  key: hostKey(SEED_TENANT, SEED_HOSTS.healthy),
  value: "{not json at all",
  headers: [],
});
