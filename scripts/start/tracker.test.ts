import { describe, expect, it } from "vitest";
import type { Downtime } from "../simulator/fleet.ts";
import type { HostIngest, Level, Prediction } from "./api.ts";
import { FleetTracker } from "./tracker.ts";

const T0 = Date.UTC(2026, 10, 24, 10, 0);
const min = (m: number) => T0 + m * 60_000;

function prediction(host: string, atMin: number, level: Level, risk30 = 0.01, since?: number): Prediction {
  return {
    host,
    as_of: new Date(min(atMin)).toISOString(),
    risk: { "5m": risk30 / 3, "15m": risk30 / 2, "30m": risk30 },
    level,
    level_since: since === undefined ? null : new Date(min(since)).toISOString(),
    downtime_within_minutes: null,
    time_to_breach: {},
    anomaly: { cpu_usage: 0, memory_usage: 0, network_latency: 0, error_rate: 0 },
    contributors:
      level === "ok" ? [] : [{ metric: "memory_usage", risk_delta: 0.4, value: 97, z: 5, anomaly: 0.9 }],
    model_version: "v",
    steps_seen: 100,
  };
}
const ingest = (p: Prediction, accepted = 1): HostIngest => ({
  host: p.host,
  accepted,
  duplicates: 0,
  dropped_late: 0,
  prediction: p,
});
const down = (host: string, startMin: number, endMin: number): Downtime => ({
  host,
  family: "memory_leak",
  precursorStartMs: min(startMin - 60),
  startMs: min(startMin),
  endMs: min(endMin),
});

describe("FleetTracker", () => {
  it("logs level changes after logging starts, with the driver of a rise", () => {
    const t = new FleetTracker([], Infinity);
    t.observe([ingest(prediction("a", 0, "warning", 0.6, 0))]); // warm-up: not logged
    t.startLogging(min(10));
    t.observe([ingest(prediction("a", 10, "ok"))]);
    t.observe([ingest(prediction("a", 20, "warning", 0.7, 20))]);
    t.observe([ingest(prediction("a", 25, "critical", 0.95, 25))]);
    expect(t.events.map((e) => (e.kind === "level" ? `${e.from}>${e.to}:${e.driver}` : e.kind))).toEqual([
      "warning>ok:null",
      "ok>warning:memory_usage",
      "warning>critical:memory_usage",
    ]);
    expect(t.accepted).toBe(4);
  });

  it("a downtime counts as flagged from when the host left ok, judged on the state before the outage", () => {
    const t = new FleetTracker([down("a", 40, 55), down("b", 40, 50)], min(0));
    t.observe([ingest(prediction("a", 20, "warning", 0.6, 20)), ingest(prediction("b", 20, "ok"))]);
    t.observe([ingest(prediction("a", 30, "critical", 0.9, 30))]);
    // One batch spanning the whole outage: the post-restart "ok" must not hide the earlier warning.
    t.observe([ingest(prediction("a", 60, "ok"))]);
    t.passTime(min(60));
    const downs = t.events.filter((e) => e.kind === "down");
    expect(downs).toEqual([
      expect.objectContaining({ host: "a", warnedMinutes: 20, levelAtDown: "critical" }),
      expect.objectContaining({ host: "b", warnedMinutes: null, levelAtDown: "ok" }),
    ]);
    expect(t.summary()).toEqual({ downtimes: 2, flagged: 1, leadMinutes: [20] });
    // Logged once only.
    t.passTime(min(120));
    t.observe([ingest(prediction("a", 130, "ok"))]);
    expect(t.summary().downtimes).toBe(2);
  });

  it("ignores downtimes before logging starts", () => {
    const t = new FleetTracker([down("a", 5, 10)], Infinity);
    t.passTime(min(20));
    t.startLogging(min(20));
    t.passTime(min(30));
    expect(t.events).toEqual([]);
  });

  it("says which hosts are down at a data time", () => {
    const t = new FleetTracker([down("a", 40, 55)], 0);
    expect([...t.downAt(min(39)).keys()]).toEqual([]);
    expect([...t.downAt(min(40)).keys()]).toEqual(["a"]);
    expect([...t.downAt(min(55)).keys()]).toEqual([]);
  });

  it("orders events by data time and caps how many it keeps", () => {
    const t = new FleetTracker([], 0, 3);
    for (let i = 0; i < 5; i++) t.observe([ingest(prediction("h", i * 10, i % 2 === 0 ? "warning" : "ok"))]);
    expect(t.events).toHaveLength(3);
    const ordered = new FleetTracker([down("x", 5, 8)], 0);
    ordered.observe([ingest(prediction("y", 10, "warning"))]);
    ordered.passTime(min(10));
    expect(ordered.eventsInOrder().map((e) => e.kind)).toEqual(["down", "level"]);
  });
});
