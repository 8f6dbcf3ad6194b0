/**
 * The connector's fast record parser against the contracts' zod schemas: on valid records it takes the
 * fast path and returns exactly what `parseEvent` returns; on thousands of mutated records (a key
 * removed or added, a field replaced by another type, an out-of-range number, a bad date, a wrong
 * topic or key) it never accepts what zod rejects, and `parseRecord` throws zod's own error.
 */
import { describe, expect, it } from "vitest";
import { EventError, EventSchema, MetricsEventBody, parseEvent } from "../../contracts/events.ts";
import { StoredPoint } from "../../contracts/points.ts";
import {
  AlertTransitionSchema,
  ContributorSchema,
  LEVELS,
  PredictionSchema,
} from "../../contracts/prediction.ts";
import { hostEvents, type EventRecord } from "../testing/events.ts";
import { FAST_PATH_KEYS, fastEvent, parseRecord } from "./parse.ts";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A small deterministic PRNG (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid records of every topic, including the less common shapes the schemas allow. */
function validRecords(): EventRecord[] {
  const out = hostEvents("acme", 1, T0, 8);
  const variants: [string, (v: Record<string, unknown>) => void][] = [
    ["metrics", (v) => ((v.payload as { points: unknown[] }).points = [{ timestamp: 0 }])],
    [
      "metrics",
      (v) =>
        ((v.payload as { points: unknown[] }).points = [
          { timestamp: T0, cpu_usage: null, memory_usage: 100, network_latency: 1e300, error_rate: 0 },
          { timestamp: T0 + 1, metrics: {}, labels: { "a.b:c-d": "x".repeat(256), _: "" } },
        ]),
    ],
    [
      "predictions",
      (v) => {
        const p = v.payload as Record<string, unknown>;
        p.as_of = "2026-12-01T13:00:00.123456+02:00";
        p.level = "critical";
        p.level_since = "2026-02-28T23:59:59Z";
        p.downtime_within_minutes = 15;
        p.contributors = [];
        p.time_to_breach = { cpu_usage: 1, error_rate: -3.5 };
        p.risk = {};
      },
    ],
    ["alerts", (v) => ((v.payload as Record<string, unknown>).at = "2028-02-29T00:00:00.5-11:30")],
  ];
  for (const [topic, change] of variants) {
    const r = out.find((x) => x.topic === topic)!;
    const v = JSON.parse(r.value) as Record<string, unknown>;
    change(v);
    out.push({ ...r, value: JSON.stringify(v) });
  }
  return out;
}

const attempt = (value: string, rec: { topic?: string; key?: string | null }) => {
  try {
    return { ok: true as const, value: parseEvent(value, rec) };
  } catch (e) {
    if (!(e instanceof EventError)) throw e;
    return { ok: false as const, error: e.message };
  }
};

/** Values a mutation puts in place of a field. */
const ODD_VALUES: unknown[] = [
  null,
  "",
  "x",
  "host-1",
  "acme/host-1",
  "ok",
  "warning",
  "cpu_usage",
  "2026-12-01T12:00:00Z",
  "2026-02-30T12:00:00Z",
  "2026-12-01T24:00:00Z",
  "2026-12-01 12:00:00Z",
  "2026-12-01T12:00:00",
  0,
  -0,
  -1,
  0.5,
  1.5,
  100,
  100.5,
  2 ** 53,
  1e308,
  -1e308,
  true,
  [],
  [1],
  {},
  { cpu_usage: 1 },
  { "bad name": 1 },
  { a: "b" },
  { a: 1 },
  { metric: "cpu_usage", risk_delta: null, value: null, z: null, anomaly: 0 },
];

function mutate(v: unknown, r: () => number, depth = 0): unknown {
  if (Array.isArray(v)) {
    if (v.length > 0 && r() < 0.7) {
      const i = Math.floor(r() * v.length);
      const copy = [...v];
      copy[i] = mutate(v[i], r, depth + 1);
      return copy;
    }
    return r() < 0.5 ? [] : [...v, ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]];
  }
  if (typeof v === "object" && v !== null) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    const x = r();
    if (x < 0.15 && keys.length > 0) delete o[keys[Math.floor(r() * keys.length)]!];
    else if (x < 0.25) o[["extra", "__proto__", "cpu_usage", "5m", "bad key"][Math.floor(r() * 5)]!] = 1;
    else if (x < 0.35) return ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
    else if (keys.length > 0) {
      const k = keys[Math.floor(r() * keys.length)]!;
      o[k] =
        r() < 0.5 && depth < 4 ? mutate(o[k], r, depth + 1) : ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
    }
    return o;
  }
  return ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
}

describe("parseRecord (fast path in front of the contracts' schemas)", () => {
  it("knows exactly the keys of the schemas it checks", () => {
    expect(Object.keys(EventSchema.def.options[0].shape)).toEqual(FAST_PATH_KEYS.envelope);
    expect(Object.keys(MetricsEventBody.shape)).toEqual(FAST_PATH_KEYS.metrics);
    expect(Object.keys(StoredPoint.shape)).toEqual(FAST_PATH_KEYS.point);
    expect(Object.keys(PredictionSchema.shape)).toEqual(FAST_PATH_KEYS.prediction);
    expect(Object.keys(ContributorSchema.shape)).toEqual(FAST_PATH_KEYS.contributor);
    expect(Object.keys(AlertTransitionSchema.shape)).toEqual(FAST_PATH_KEYS.alert);
    expect(FAST_PATH_KEYS.levels).toEqual(LEVELS);
  });

  it("takes the fast path on valid records and returns what parseEvent returns", () => {
    for (const rec of validRecords()) {
      const meta = { topic: rec.topic, key: rec.key };
      const want = parseEvent(rec.value, meta);
      expect(fastEvent(JSON.parse(rec.value), meta), rec.value).not.toBeNull();
      expect(parseRecord(rec.value, meta)).toEqual(want);
      expect(parseRecord(rec.value)).toEqual(parseEvent(rec.value));
    }
  });

  it("never accepts what zod rejects: mutated records get zod's verdict and zod's reason", () => {
    const r = rng(10);
    const base = validRecords();
    let rejected = 0;
    let fastAccepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const rec = base[Math.floor(r() * base.length)]!;
      const value = JSON.stringify(mutate(JSON.parse(rec.value), r));
      const meta =
        r() < 0.9
          ? { topic: rec.topic, key: rec.key }
          : { topic: ["metrics", "alerts", "x"][Math.floor(r() * 3)], key: r() < 0.5 ? null : "acme/host-2" };
      const want = attempt(value, meta);
      const fast = fastEvent(JSON.parse(value), meta);
      if (fast) {
        fastAccepted++;
        expect(want.ok, value).toBe(true);
        expect(fast).toEqual((want as { value: unknown }).value);
      }
      if (want.ok) expect(parseRecord(value, meta)).toEqual(want.value);
      else {
        rejected++;
        expect(() => parseRecord(value, meta)).toThrow(new EventError(want.error));
      }
    }
    // The mutations exercise both sides.
    expect(rejected).toBeGreaterThan(10_000);
    expect(fastAccepted).toBeGreaterThan(1_000);
  });

  it("throws parseEvent's error for a value that is not JSON", () => {
    expect(() => parseRecord("{nope", { topic: "metrics" })).toThrow(EventError);
    expect(() => parseRecord("{nope")).toThrow(/value is not JSON/);
  });
});
