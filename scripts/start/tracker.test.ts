import { describe, expect, it } from "vitest";
import type { Downtime } from "../../simulator/fleet.ts";
import type { PointIngest as HostIngest } from "../../contracts/api.ts";
import type { AlertTransition, Level, Prediction } from "../../contracts/prediction.ts";
import { FleetTracker, type DemoEvent, type SyncRequest } from "./tracker.ts";

const STEP = 60_000;
const T0 = Date.UTC(2026, 10, 24, 10, 0);
const min = (m: number) => T0 + m * STEP;
const iso = (ms: number) => new Date(ms).toISOString();

function prediction(
  host: string,
  asOfMs: number,
  level: Level,
  sinceMs: number | null,
  risk30 = 0.01,
): Prediction {
  return {
    host,
    as_of: iso(asOfMs),
    risk: { "5m": risk30 / 3, "15m": risk30 / 2, "30m": risk30 },
    level,
    level_since: sinceMs === null ? null : iso(sinceMs),
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
const down = (
  host: string,
  startMin: number,
  endMin: number,
  family: Downtime["family"] = "memory_leak",
): Downtime => ({
  host,
  family,
  precursorStartMs: min(startMin - 60),
  startMs: min(startMin),
  endMs: min(endMin),
});
const alert = (host: string, from: Level, to: Level, atMs: number, risk30 = 0.8): AlertTransition => ({
  host,
  from,
  to,
  at: iso(atMs),
  risk: { "5m": 0.1, "15m": 0.3, "30m": risk30 },
});

/**
 * One host as its Durable Object sees it: a point per step (jittered around the minute), steps centred
 * on the points (a step ends 30 s after its grid minute), each step's level given by `levels`. The
 * object records a transition when it commits a step (a later point arrived), stamped with the step's
 * end; a response's prediction shows the newest, still open step, whose level_since is the point's
 * own time when that step changed the level — as model/core/scorer.ts does.
 */
class FakeHost {
  /** Steps the host sent a point for. */
  private newest = -1;

  constructor(
    readonly host: string,
    private readonly levels: (step: number) => Level,
    private readonly silent: (step: number) => boolean = () => false,
  ) {}

  pointMs(step: number): number {
    return min(step) + (((step * 7919) % 7) - 3) * 1000;
  }
  private stepEndMs(step: number): number {
    return min(step) + STEP / 2;
  }
  /** Recorded transitions of the committed steps (before the newest point's). */
  private recorded(): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (let k = 1; k < this.newest; k++) {
      const from = this.levels(k - 1);
      const to = this.levels(k);
      if (from !== to) out.push(alert(this.host, from, to, this.stepEndMs(k), to === "ok" ? 0.1 : 0.9));
    }
    return out;
  }

  /** Sends the host's points of steps [from, to); the response's result, or null when it sent none. */
  send(from: number, to: number): HostIngest | null {
    let sent = 0;
    for (let k = from; k < to; k++) {
      if (this.silent(k)) continue;
      this.newest = k;
      sent++;
    }
    if (sent === 0) return null;
    const k = this.newest;
    const level = this.levels(k);
    const last = this.recorded().at(-1);
    const since = level !== this.levels(k - 1) ? this.pointMs(k) : last ? Date.parse(last.at) : null;
    return ingest(prediction(this.host, this.pointMs(k), level, since, level === "ok" ? 0.05 : 0.9), sent);
  }

  /** GET /hosts/:host/history's alerts in [fromMs, toMs). */
  history(fromMs: number, toMs: number): AlertTransition[] {
    return this.recorded().filter((a) => Date.parse(a.at) >= fromMs && Date.parse(a.at) < toMs);
  }
}

/** Plays `hosts` through a tracker, `stepsPerBatch` steps per request, reading history as asked. */
function play(
  hosts: FakeHost[],
  stepsPerBatch: number,
  steps: number,
  downtime: Downtime[],
  logFromStep: number,
) {
  const t = new FleetTracker({ downtime, stepMs: STEP });
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  const read = (reads: SyncRequest[]) => {
    for (const r of reads) t.applyAlerts(r, byHost.get(r.host)!.history(r.fromMs, r.toMs));
  };
  const seen: Prediction[] = [];
  for (let s = 0; s < steps; s += stepsPerBatch) {
    if (s === logFromStep) read(t.startLogging(min(logFromStep) - STEP / 2));
    const results = hosts.flatMap((h) => h.send(s, Math.min(steps, s + stepsPerBatch)) ?? []);
    seen.push(...results.flatMap((r) => (r.prediction ? [r.prediction] : [])));
    read(t.observe(results));
    t.passTime(Math.max(...hosts.map((h) => h.pointMs(Math.min(steps, s + stepsPerBatch) - 1))));
    t.takeReady();
  }
  t.finish();
  return { t, seen };
}

const show = (e: DemoEvent) =>
  e.kind === "level"
    ? `${e.host} ${e.from}>${e.to} @${Math.round((e.atMs - T0) / STEP)}`
    : `${e.host} DOWN @${Math.round((e.atMs - T0) / STEP)} lead ${e.warnedMinutes} (${e.levelAtDown})`;

describe("FleetTracker", () => {
  // a: warning at step 40, critical at 41 (one coarse request holds both), down at 50–60, ok from 57
  //    (a silent step inside the outage: not news).
  // b: warning at step 59, its very last point before going down at 60 (seen only provisionally).
  // c: warning 20–30 then ok, never down: a false alarm.
  // d: down at 70 without a warning: missed.
  const level =
    (from: number, to: number, l: Level, before: Level = "ok") =>
    (k: number) =>
      k >= from && k < to ? l : before;
  const a = () =>
    new FakeHost(
      "a",
      (k) => (k >= 41 && k < 57 ? "critical" : k === 40 ? "warning" : "ok"),
      (k) => k >= 50 && k < 60,
    );
  const b = () => new FakeHost("b", level(59, 66, "warning"), (k) => k >= 60 && k < 75);
  const c = () => new FakeHost("c", level(20, 31, "warning"));
  const d = () =>
    new FakeHost(
      "d",
      () => "ok",
      (k) => k >= 70 && k < 80,
    );
  const downtime = [down("a", 50, 60), down("b", 60, 75), down("d", 70, 80, "sudden_crash")];

  it("derives the same warnings, events and lead times whatever the number of steps per request", () => {
    const runs = [1, 2, 5, 7].map((n) => play([a(), b(), c(), d()], n, 120, downtime, 0));
    const [fine] = runs;
    expect(fine!.t.log.map(show)).toEqual([
      "c ok>warning @20",
      "c warning>ok @31",
      "a ok>warning @40",
      "a warning>critical @41",
      "a DOWN @50 lead 10 (critical)",
      "b ok>warning @59",
      "b DOWN @60 lead 1 (warning)",
      "d DOWN @70 lead null (ok)",
    ]);
    expect(fine!.t.summary()).toMatchObject({
      downtimes: 3,
      flagged: 2,
      leadMinutes: [10, 1],
      falseAlarms: 1,
    });
    for (const r of runs.slice(1)) {
      expect(r.t.log.map(show)).toEqual(fine!.t.log.map(show));
      expect(r.t.downs).toEqual(fine!.t.downs);
      expect(
        r.t.warnings.map((w) => [w.host, w.peakLevel, Math.round((w.startMs - T0) / STEP), w.down]),
      ).toEqual(
        fine!.t.warnings.map((w) => [w.host, w.peakLevel, Math.round((w.startMs - T0) / STEP), w.down]),
      );
    }
    // The point of reading the history: with 5 steps per request, no response ever showed a at warning.
    const coarse = runs[2]!;
    expect(coarse.seen.filter((p) => p.host === "a" && p.level === "warning")).toEqual([]);
  });

  it("counts a warning raised by the host's last point before it went down", () => {
    const t = new FleetTracker({ downtime: [down("b", 60, 75)], stepMs: STEP });
    t.observe([ingest(prediction("b", min(0), "ok", null))]);
    t.startLogging(min(0));
    // Only the open step says so (level_since = that point's time); the stream is exactly at the downtime.
    const last = min(59) + 3000;
    expect(t.observe([ingest(prediction("b", last, "warning", last, 0.9))])).toHaveLength(1);
    t.passTime(min(60));
    expect(t.finish().map(show)).toEqual(["b ok>warning @59", "b DOWN @60 lead 1 (warning)"]);
  });

  it("does not log the warm-up, and finds when a run already under way then began", () => {
    const t = new FleetTracker({ downtime: [down("a", 70, 80)], stepMs: STEP });
    // Warm-up: one big request; a went warning at step 40 and critical at 55 (recorded at the step's end).
    t.observe([ingest(prediction("a", min(59), "critical", min(55) + STEP / 2))]);
    t.passTime(min(59));
    const reads = t.startLogging(min(60) - STEP / 2);
    expect(reads).toEqual([{ host: "a", fromMs: expect.any(Number), toMs: min(59) + 1, backfill: true }]);
    t.applyAlerts(reads[0]!, [
      alert("a", "ok", "warning", min(20) + STEP / 2),
      alert("a", "warning", "ok", min(25) + STEP / 2),
      alert("a", "ok", "warning", min(40) + STEP / 2),
      alert("a", "warning", "critical", min(55) + STEP / 2),
    ]);
    t.observe([ingest(prediction("a", min(69), "critical", min(55) + STEP / 2))]);
    t.passTime(min(70));
    expect(t.finish().map(show)).toEqual(["a DOWN @70 lead 30 (critical)"]);
  });

  it("prints events in data-time order: a line waits until every reporting host has passed it", () => {
    const t = new FleetTracker({ downtime: [], stepMs: STEP });
    t.observe([ingest(prediction("a", min(0), "ok", null)), ingest(prediction("b", min(0), "ok", null))]);
    t.passTime(min(0));
    t.startLogging(min(0));
    // One response: a already at step 10 (its warning recorded for step 9), b's answer only at step 8.
    const r1 = t.observe([
      ingest(prediction("a", min(10), "warning", min(9) + STEP / 2)),
      ingest(prediction("b", min(8), "ok", null)),
    ]);
    t.applyAlerts(r1[0]!, [alert("a", "ok", "warning", min(9) + STEP / 2)]);
    t.passTime(min(10));
    expect(t.takeReady()).toEqual([]);
    // b catches up: the step open at its last answer had raised a warning, earlier than a's.
    const r2 = t.observe([ingest(prediction("b", min(10), "warning", min(8) + STEP / 2))]);
    t.applyAlerts(r2[0]!, [alert("b", "ok", "warning", min(8) + STEP / 2)]);
    t.passTime(min(10));
    expect(t.takeReady().map(show)).toEqual(["b ok>warning @8", "a ok>warning @9"]);
    expect(t.log.map(show)).toEqual(["b ok>warning @8", "a ok>warning @9"]);
  });

  it("does not wait for a silent host; what it says later is marked late", () => {
    const t = new FleetTracker({ downtime: [], stepMs: STEP });
    t.observe([ingest(prediction("a", min(0), "ok", null)), ingest(prediction("b", min(0), "ok", null))]);
    t.passTime(min(0));
    t.startLogging(min(0));
    const r1 = t.observe([ingest(prediction("a", min(10), "warning", min(9) + STEP / 2))]);
    t.applyAlerts(r1[0]!, [alert("a", "ok", "warning", min(9) + STEP / 2)]);
    t.passTime(min(10));
    // b's newest point is 10 steps old: a metrics gap; the log goes on without it.
    expect(t.takeReady().map(show)).toEqual(["a ok>warning @9"]);
    // After the gap b's object reports a change on one of the silent steps.
    const r2 = t.observe([ingest(prediction("b", min(12), "warning", min(4) + STEP / 2))]);
    t.applyAlerts(r2[0]!, [alert("b", "ok", "warning", min(4) + STEP / 2)]);
    t.passTime(min(12));
    expect(t.takeReady()).toEqual([expect.objectContaining({ host: "b", late: true })]);
  });

  it("finds the riskiest moment from the runs, the same whatever the batching", () => {
    // e: warning 45–48, while a is critical: two hosts flagged at step 45, one at any other time.
    const e = () => new FakeHost("e", level(45, 49, "warning"));
    const moments = [1, 5].map((n) =>
      play([a(), c(), e()], n, 100, [down("a", 50, 60)], 0).t.riskiestMoment(),
    );
    for (const m of moments) {
      expect(m).toMatchObject({ flagged: 2 });
      expect(Math.round((m!.atMs - T0) / STEP)).toBe(45);
      expect(m!.hosts.map((p) => p.host).sort()).toEqual(["a", "e"]);
    }
    // One step per request: each host's prediction of that very step.
    const step = (p: Prediction) => Math.round((Date.parse(p.as_of) - T0) / STEP);
    expect(moments[0]!.hosts.map((p) => [p.host, p.level, step(p)])).toEqual([
      ["a", "critical", 45],
      ["e", "warning", 45],
    ]);
  });

  it("without any warning, the riskiest moment is the highest risk the responses showed", () => {
    const t = new FleetTracker({ downtime: [], stepMs: STEP });
    t.startLogging(min(0));
    for (const [m, r] of [
      [1, 0.1],
      [2, 0.4],
      [3, 0.2],
    ] as const) {
      t.observe([
        ingest(prediction("a", min(m), "ok", null, r)),
        ingest(prediction("b", min(m), "ok", null, r / 2)),
      ]);
      t.passTime(min(m));
    }
    expect(t.riskiestMoment()).toMatchObject({ atMs: min(2), flagged: 0, maxRisk30m: 0.4 });
    expect(t.riskiestMoment()!.hosts.map((p) => p.host)).toEqual(["a"]);
  });
});
