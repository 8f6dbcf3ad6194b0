import { describe, expect, it } from "vitest";
import { MINUTE_MS, parseFleetConfig, type FleetConfig } from "./config.ts";
import { DOWNTIME_MIN, FAMILY_RANGES, type FailurePlan } from "./failures.ts";
import { hostPoints, planHost, simulateFleet, type HostPlan } from "./fleet.ts";
import { FAILURE_FAMILIES, type FailureFamily, type MetricPoint } from "./types.ts";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

interface Case {
  plan: HostPlan;
  failure: FailurePlan;
  points: MetricPoint[];
  /** Points in the hour before the precursor (or the crash) starts. */
  baseline: MetricPoint[];
  /** The last point before the downtime. */
  last: MetricPoint;
  lastFew: MetricPoint[];
  /** Points within 30 min after the downtime. */
  after: MetricPoint[];
}

/** Every failure of one family in a dense fleet (2 failures per host-day), with its surrounding points. */
function cases(family: FailureFamily): { config: FleetConfig; cases: Case[] } {
  const config = parseFleetConfig({
    seed: 21,
    hosts: 10,
    days: 3,
    failuresPerHostDay: 2,
    families: [family],
    suddenCrashShare: family === "sudden_crash" ? 1 : 0,
  });
  const out: Case[] = [];
  for (let i = 0; i < config.hosts; i++) {
    const plan = planHost(config, i);
    const points = [...hostPoints(config, plan)];
    for (const failure of plan.failures) {
      // A crash has no precursor: compare its last 15 minutes with the hour before them.
      const onset = failure.precursorStartMs ?? failure.startMs - 15 * MINUTE_MS;
      const before = points.filter((p) => p.timestamp < failure.startMs && p.timestamp >= onset);
      const lastFew = points.filter(
        (p) => p.timestamp < failure.startMs && p.timestamp >= failure.startMs - 3 * 60_000,
      );
      const last = lastFew[lastFew.length - 1];
      if (last === undefined) continue; // the last point was lost at random: rare, checked below
      out.push({
        plan,
        failure,
        points: before,
        baseline: points.filter((p) => p.timestamp >= onset - 60 * MINUTE_MS && p.timestamp < onset),
        last,
        lastFew,
        after: points.filter(
          (p) => p.timestamp >= failure.endMs && p.timestamp < failure.endMs + 30 * MINUTE_MS,
        ),
      });
    }
  }
  return { config, cases: out };
}

const med = (ps: MetricPoint[], k: keyof Omit<MetricPoint, "host" | "timestamp">): number =>
  median(ps.map((p) => p[k]));

describe.each(FAILURE_FAMILIES)("%s", (family) => {
  const { config, cases: all } = cases(family);

  it("produces labelled downtimes with no points inside, then a restart", () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
    const fleet = simulateFleet(config);
    let events = 0;
    for (const h of fleet.hosts) {
      for (const d of h.downtime) {
        events++;
        expect(d.family).toBe(family);
        expect(d.host).toBe(h.host);
        const minutes = (d.endMs - d.startMs) / MINUTE_MS;
        expect(minutes).toBeGreaterThanOrEqual(DOWNTIME_MIN[0]);
        expect(minutes).toBeLessThanOrEqual(DOWNTIME_MIN[1]);
        expect(h.points.filter((p) => p.timestamp >= d.startMs && p.timestamp < d.endMs)).toEqual([]);
        // Host back within 3 steps (a random loss may hide one point).
        expect(h.points.some((p) => p.timestamp >= d.endMs && p.timestamp < d.endMs + 3 * 60_000)).toBe(true);
        if (family === "sudden_crash") {
          expect(d.precursorStartMs).toBeNull();
        } else {
          const [lo, hi] = FAMILY_RANGES[family].precursorMin;
          const precursorMin = (d.startMs - (d.precursorStartMs ?? NaN)) / MINUTE_MS;
          expect(precursorMin).toBeGreaterThanOrEqual(lo);
          expect(precursorMin).toBeLessThanOrEqual(hi + 1);
        }
      }
    }
    expect(all.length).toBeGreaterThanOrEqual(events - 2);
  });

  it("has the family's precursor shape", () => {
    for (const c of all) {
      const f = c.failure;
      const base = {
        cpu: med(c.baseline, "cpu_usage"),
        mem: med(c.baseline, "memory_usage"),
        lat: med(c.baseline, "network_latency"),
        err: med(c.baseline, "error_rate"),
      };
      const ctx = `${c.plan.host} ${f.family} at ${new Date(f.startMs).toISOString()}`;
      switch (f.family) {
        case "memory_leak":
          // Memory near the top right before the OOM, back near baseline after the restart.
          expect(c.last.memory_usage, ctx).toBeGreaterThanOrEqual(f.peakPct - 1);
          expect(med(c.after, "memory_usage"), ctx).toBeLessThan(c.last.memory_usage - 20);
          expect(med(c.after, "memory_usage"), ctx).toBeLessThan(base.mem + 5);
          // The climb is gradual: halfway through the precursor, memory is between baseline and peak.
          {
            const mid = c.points.filter(
              (p) => Math.abs(p.timestamp - (f.startMs + (f.precursorStartMs ?? 0)) / 2) < 10 * MINUTE_MS,
            );
            expect(med(mid, "memory_usage"), ctx).toBeLessThan(f.peakPct - 5);
          }
          break;
        case "cpu_saturation":
          expect(c.last.cpu_usage, ctx).toBeGreaterThanOrEqual(95);
          // Queueing: latency several times its baseline; timeouts: errors up.
          expect(c.last.network_latency, ctx).toBeGreaterThan(3 * base.lat);
          expect(c.last.error_rate, ctx).toBeGreaterThan(base.err + 0.005);
          break;
        case "network_degradation":
          expect(med(c.lastFew, "network_latency"), ctx).toBeGreaterThan(
            base.lat * (1 + 0.4 * (f.latMulMax - 1)),
          );
          expect(med(c.lastFew, "error_rate"), ctx).toBeGreaterThan(base.err + 0.25 * f.lossErr);
          break;
        case "error_cascade":
          expect(c.last.error_rate, ctx).toBeGreaterThan(base.err + 0.7 * f.errPeak);
          // Roughly exponential: the first half of the precursor is still close to baseline.
          {
            const firstHalf = c.points.filter(
              (p) => p.timestamp < ((f.precursorStartMs ?? 0) + f.startMs) / 2,
            );
            expect(med(firstHalf, "error_rate"), ctx).toBeLessThan(base.err + 0.15 * f.errPeak);
          }
          if (!f.subtle)
            expect(c.last.network_latency, ctx).toBeGreaterThan(base.lat * (1 + 0.3 * f.retryLatMul));
          break;
        case "sudden_crash": {
          // No precursor: the last 15 minutes look like the hour before.
          const recent = c.points;
          expect(recent.length, ctx).toBeGreaterThan(10);
          expect(Math.abs(med(recent, "cpu_usage") - base.cpu), ctx).toBeLessThan(15);
          // (Memory may sit anywhere on a JVM sawtooth, so compare with the hour's range.)
          expect(Math.max(...recent.map((p) => p.memory_usage)), ctx).toBeLessThan(
            Math.max(...c.baseline.map((p) => p.memory_usage)) + 5,
          );
          expect(med(recent, "network_latency") / base.lat, ctx).toBeLessThan(1.6);
          expect(med(recent, "error_rate"), ctx).toBeLessThan(base.err + 0.01);
          expect(Math.max(...recent.map((p) => p.memory_usage)), ctx).toBeLessThan(95);
          expect(Math.max(...recent.map((p) => p.cpu_usage)), ctx).toBeLessThan(95);
          break;
        }
      }
    }
  });

  if (family !== "sudden_crash") {
    it("varies precursor length and severity per event, with some subtle ones", () => {
      const minutes = all.map((c) => (c.failure.startMs - (c.failure.precursorStartMs ?? 0)) / MINUTE_MS);
      const [lo, hi] = FAMILY_RANGES[family].precursorMin;
      expect(new Set(minutes).size).toBeGreaterThan(5);
      expect(Math.max(...minutes) - Math.min(...minutes)).toBeGreaterThan(0.5 * (hi - lo));
      const subtle = all.filter((c) => c.failure.subtle).length;
      expect(subtle).toBeGreaterThan(0);
      expect(subtle).toBeLessThan(all.length);
    });
  }
});

describe("benign events", () => {
  const config = parseFleetConfig({ seed: 13, hosts: 25, days: 4, failuresPerHostDay: 1 });
  const fleet = simulateFleet(config);

  it("occur in every kind and never end in (or overlap) a downtime or its precursor", () => {
    const kinds = new Map<string, number>();
    for (const h of fleet.hosts) {
      for (const b of h.benign) {
        kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1);
        for (const d of h.downtime) {
          const failureFrom = d.precursorStartMs ?? d.startMs;
          const overlaps = b.startMs < d.endMs && b.endMs + 30 * MINUTE_MS > failureFrom;
          expect(overlaps, `${h.host} ${b.kind} ${b.startMs} vs ${d.family} ${d.startMs}`).toBe(false);
        }
      }
    }
    for (const kind of ["deploy", "cron", "traffic_peak", "metrics_gap"])
      expect(kinds.get(kind) ?? 0).toBeGreaterThan(3);
  });

  it("look like bursts: deploys spike CPU and drop memory, cron and peaks raise CPU and latency", () => {
    const lift = {
      deploy: [] as number[],
      deployMem: [] as number[],
      cron: [] as number[],
      peakCpu: [] as number[],
      peakLat: [] as number[],
    };
    for (const h of fleet.hosts) {
      const byTime = (from: number, to: number): MetricPoint[] =>
        h.points.filter((p) => p.timestamp >= from && p.timestamp < to);
      for (const b of h.benign) {
        const before = byTime(b.startMs - 30 * MINUTE_MS, b.startMs);
        const during = byTime(b.startMs, b.endMs);
        if (before.length < 10 || during.length < 2) continue;
        const third = (b.endMs - b.startMs) / 3;
        const middle = byTime(b.startMs + third, b.endMs - third);
        if (b.kind === "deploy") {
          lift.deploy.push(Math.max(...during.map((p) => p.cpu_usage)) - med(before, "cpu_usage"));
          lift.deployMem.push(Math.min(...during.map((p) => p.memory_usage)) - med(before, "memory_usage"));
        } else if (b.kind === "cron" && middle.length > 0) {
          lift.cron.push(med(middle, "cpu_usage") - med(before, "cpu_usage"));
        } else if (b.kind === "traffic_peak" && middle.length > 0) {
          lift.peakCpu.push(med(middle, "cpu_usage") - med(before, "cpu_usage"));
          lift.peakLat.push(med(middle, "network_latency") / med(before, "network_latency"));
        }
      }
    }
    expect(median(lift.deploy)).toBeGreaterThan(10);
    expect(median(lift.deployMem)).toBeLessThan(-2);
    expect(median(lift.cron)).toBeGreaterThan(10);
    expect(median(lift.peakCpu)).toBeGreaterThan(5);
    expect(median(lift.peakLat)).toBeGreaterThan(1.05);
  });

  it("never saturate a healthy host: CPU and memory stay below 95 % outside failure precursors", () => {
    const bad: string[] = [];
    for (const h of fleet.hosts) {
      const windows = h.downtime.map((d) => [d.precursorStartMs ?? d.startMs, d.endMs] as const);
      for (const p of h.points) {
        if (windows.some(([s, e]) => p.timestamp >= s && p.timestamp < e)) continue;
        if (p.cpu_usage >= 95 || p.memory_usage >= 95)
          bad.push(`${p.host} ${p.timestamp} ${p.cpu_usage} ${p.memory_usage}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
