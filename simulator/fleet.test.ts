import { describe, expect, it } from "vitest";
import { HOUR_MS, parseFleetConfig, stepCount } from "./config.ts";
import { fleetPoints, planHost, simulateFleet, simulateHost } from "./fleet.ts";
import { localTime } from "./profiles.ts";
import type { MetricPoint } from "./types.ts";

const small = { seed: 7, hosts: 6, days: 1 };

describe("determinism", () => {
  it("same seed → identical fleet; different seed → different", () => {
    const a = simulateFleet(small);
    const b = simulateFleet(small);
    expect(b).toEqual(a);
    const c = simulateFleet({ ...small, seed: 8 });
    expect(c.hosts[0]?.points).not.toEqual(a.hosts[0]?.points);
    expect(c.hosts.map((h) => h.hostClass)).not.toEqual(a.hosts.map((h) => h.hostClass));
  });

  it("host i is identical alone, in any order, and whatever the fleet size", () => {
    const fleet = simulateFleet(small);
    for (const i of [5, 0, 3]) expect(simulateHost(small, i)).toEqual(fleet.hosts[i]);
    expect(simulateHost({ ...small, hosts: 40 }, 3)).toEqual(fleet.hosts[3]);
  });

  it("keeps a host's background identical when only the failure rate changes", () => {
    const calm = { seed: 4, hosts: 8, days: 2, failuresPerHostDay: 0 };
    const busy = { ...calm, failuresPerHostDay: 3 };
    let compared = 0;
    for (let i = 0; i < calm.hosts; i++) {
      const a = simulateHost(calm, i);
      const b = simulateHost(busy, i);
      if (a.jvm || b.downtime.length === 0) continue; // a deploy moved elsewhere would shift a JVM heap
      const quiet = (t: number): boolean =>
        [...a.benign, ...b.benign].every((e) => t < e.startMs - 60_000 || t >= e.endMs + 60_000) &&
        b.downtime.every((d) => t < (d.precursorStartMs ?? d.startMs) - 60_000 || t >= d.endMs + 30 * 60_000);
      const byTime = new Map(b.points.map((p) => [p.timestamp, p]));
      for (const p of a.points) {
        if (!quiet(p.timestamp)) continue;
        expect(byTime.get(p.timestamp)).toEqual(p);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it("names hosts host-000, host-001, …", () => {
    expect(simulateFleet({ ...small, hosts: 3 }).hosts.map((h) => h.host)).toEqual([
      "host-000",
      "host-001",
      "host-002",
    ]);
  });
});

describe("values", () => {
  // Several days and a high failure rate, so every family and event kind shows up.
  const config = parseFleetConfig({ seed: 11, hosts: 30, days: 4, failuresPerHostDay: 1 });
  const fleet = simulateFleet(config);

  it("stay finite and inside their ranges", () => {
    const bad: string[] = [];
    let count = 0;
    for (const h of fleet.hosts) {
      for (const p of h.points) {
        count++;
        const ok =
          p.host === h.host &&
          Number.isInteger(p.timestamp) &&
          p.cpu_usage >= 0 &&
          p.cpu_usage <= 100 &&
          p.memory_usage >= 0 &&
          p.memory_usage <= 100 &&
          p.network_latency >= 0 &&
          Number.isFinite(p.network_latency) &&
          p.error_rate >= 0 &&
          p.error_rate <= 1;
        if (!ok) bad.push(JSON.stringify(p));
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(count).toBeGreaterThan(0.9 * 30 * 4 * 1440);
  });

  it("timestamps increase strictly per host and stay inside the window", () => {
    const end = config.startMs + config.durationMs;
    for (const h of fleet.hosts) {
      let prev = -Infinity;
      for (const p of h.points) {
        if (!(p.timestamp > prev)) throw new Error(`${h.host}: ${p.timestamp} after ${prev}`);
        prev = p.timestamp;
      }
      expect(h.points[0]?.timestamp).toBeGreaterThanOrEqual(config.startMs);
      expect(prev).toBeLessThan(end);
    }
  });

  it("follows a daily cycle on web/api hosts (busier in the local afternoon than at night)", () => {
    let checked = 0;
    for (let i = 0; i < config.hosts; i++) {
      const plan = planHost(config, i);
      if (plan.profile.hostClass !== "web" && plan.profile.hostClass !== "api") continue;
      const h = fleet.hosts[i];
      if (h === undefined) continue;
      const mean = (pred: (hour: number) => boolean): number => {
        const xs = h.points
          .filter((p) => pred(localTime(plan.profile, p.timestamp).hour))
          .map((p) => p.cpu_usage);
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      expect(mean((hr) => hr >= 13 && hr < 17)).toBeGreaterThan(mean((hr) => hr >= 2 && hr < 6) + 5);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it("draws a JVM sawtooth: memory climbs, then GC drops it, several times a day", () => {
    let checked = 0;
    for (let i = 0; i < config.hosts; i++) {
      const plan = planHost(config, i);
      const h = fleet.hosts[i];
      if (!plan.profile.jvm || plan.profile.sawAmpPct < 8 || h === undefined) continue;
      let drops = 0;
      for (let k = 1; k < h.points.length; k++) {
        const a = h.points[k - 1];
        const b = h.points[k];
        if (a && b && a.memory_usage - b.memory_usage > plan.profile.sawAmpPct / 2) drops++;
      }
      expect(drops / 4).toBeGreaterThan(8); // per day; periods are 15–120 min
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("has heavy-ish latency tails", () => {
    const all = fleet.hosts.map((h) => {
      const xs = h.points.map((p) => p.network_latency).sort((a, b) => a - b);
      const q = (f: number): number => xs[Math.floor(f * (xs.length - 1))] ?? NaN;
      return q(0.999) / q(0.5);
    });
    all.sort((a, b) => a - b);
    expect(all[Math.floor(all.length / 2)]).toBeGreaterThan(3);
  });
});

describe("arrival", () => {
  it("jitters timestamps within ±jitterSeconds and drops about missingRate of points", () => {
    const config = parseFleetConfig({
      seed: 3,
      hosts: 20,
      days: 2,
      failuresPerHostDay: 0,
      deploysPerHostDay: 0,
      gapsPerHostDay: 0,
      missingRate: 0.02,
      jitterSeconds: 4,
    });
    const stepMs = config.stepSeconds * 1000;
    const slots = config.hosts * stepCount(config);
    let points = 0;
    let offGrid = 0;
    let maxDistance = 0;
    for (const h of simulateFleet(config).hosts) {
      for (const p of h.points) {
        points++;
        const offset = (p.timestamp - config.startMs) % stepMs;
        const distance = Math.min(offset, stepMs - offset);
        maxDistance = Math.max(maxDistance, distance);
        if (distance !== 0) offGrid++;
      }
    }
    expect(maxDistance).toBeLessThanOrEqual(4000);
    expect(maxDistance).toBeGreaterThan(3000);
    const missing = (slots - points) / slots;
    // Binomial: 5 standard deviations around 2 %.
    expect(Math.abs(missing - 0.02)).toBeLessThan(5 * Math.sqrt((0.02 * 0.98) / slots));
    expect(offGrid / points).toBeGreaterThan(0.9);
  });

  it("puts every point on the grid, none missing, without jitter, losses and events", () => {
    const config = parseFleetConfig({
      seed: 3,
      hosts: 4,
      days: 1,
      failuresPerHostDay: 0,
      deploysPerHostDay: 0,
      gapsPerHostDay: 0,
      missingRate: 0,
      jitterSeconds: 0,
    });
    for (const h of simulateFleet(config).hosts) {
      expect(h.points.map((p) => p.timestamp)).toEqual(
        Array.from({ length: stepCount(config) }, (_, k) => config.startMs + k * 60_000),
      );
    }
  });
});

describe("fleetPoints", () => {
  it("yields every host's points exactly once, in timestamp order", () => {
    const config = { seed: 5, hosts: 15, days: 1, failuresPerHostDay: 2 };
    const streamed = [...fleetPoints(config)];
    const key = (p: MetricPoint): string => `${p.host}@${p.timestamp}`;
    const expected = simulateFleet(config).hosts.flatMap((h) => h.points);
    expect(streamed.length).toBe(expected.length);
    for (let i = 1; i < streamed.length; i++) {
      const a = streamed[i - 1];
      const b = streamed[i];
      if (a && b && b.timestamp < a.timestamp) throw new Error(`out of order at ${i}`);
    }
    const byKey = new Map(expected.map((p) => [key(p), p]));
    for (const p of streamed) expect(byKey.get(key(p))).toEqual(p);
    expect(new Set(streamed.map(key)).size).toBe(streamed.length);
  });

  it("handles a fleet whose window is shorter than a day and a custom step", () => {
    const config = parseFleetConfig({
      seed: 1,
      hosts: 3,
      durationMs: 6 * HOUR_MS,
      stepSeconds: 10,
      jitterSeconds: 2,
    });
    const pts = [...fleetPoints(config)];
    expect(pts.length).toBeGreaterThan(0.9 * 3 * 6 * 360);
    expect(pts.every((p) => p.timestamp < config.startMs + 6 * HOUR_MS)).toBe(true);
  });
});
