/**
 * What the demo learns from the stream, pure.
 *
 * Every `POST /metrics` response carries each host's latest prediction, but only one per host per
 * request, and the requests of a paced run and of --once hold different numbers of steps: a warning
 * raised and then raised to critical within one request would be seen only as "critical", at a later
 * time. So the responses are used as triggers only: when a host's level or `level_since` differs from
 * what the tracker knows, it asks for the host's recorded alert transitions since then
 * (GET /hosts/:host/history; `observe` returns what to read, `applyAlerts` takes the answer). Those are
 * step-exact whatever the batching, which is what makes paced and --once runs of a seed agree.
 *
 * Times: a recorded transition's `at` is the end of the step that raised it; its data time here is the
 * step's centre (`at − step/2`, the time of the point that raised it, since the edge centres steps on
 * the sender's rhythm). A response's prediction may also show a change at the still-open step, with
 * `level_since` = that point's time; the tracker takes it as final once no later point can join that
 * step (the stream has moved a step past it, or the host went down), and matches its record later.
 *
 * Simulated downtimes (ground truth from the simulator, not the model) are judged when the stream
 * passes their start: the run of warning/critical that was under way then gives the lead time.
 */
import type { Downtime } from "../../simulator/fleet.ts";
import type { PointIngest as HostIngest } from "../../contracts/api.ts";
import type { AlertTransition, Level, Prediction } from "../../contracts/prediction.ts";

/** Horizon the ranking and the log call "the" risk (the warning horizon). */
export const WARNING_HORIZON = "30m";
/** A host whose newest point is this many steps behind the stream is silent: the log does not wait for it. */
export const SILENT_STEPS = 3;
/** How far back before logging starts a flagged host's history is read to find when its run began, ms. */
export const BACKFILL_MS = 6 * 3_600_000;
/** A warning that ended without a downtime counts as a false alarm once this long has passed, ms. */
export const FALSE_ALARM_AFTER_MS = 30 * 60_000;

export type DemoEvent =
  | {
      kind: "level";
      /** Data time of the step that changed the level (its centre), epoch ms. */
      atMs: number;
      host: string;
      from: Level;
      to: Level;
      /** Warning-horizon risk at that step, fraction 0..1. */
      risk30m: number;
      driver: string | null;
      /** Learnt after later lines were printed (the host had gone silent). */
      late: boolean;
    }
  | {
      kind: "down";
      atMs: number;
      host: string;
      family: Downtime["family"];
      /** Minutes the host had been at warning or critical when it went down; null = not flagged. */
      warnedMinutes: number | null;
      levelAtDown: Level | "unknown";
      late: boolean;
    };

/** One run of warning/critical on a host, and what followed it. */
export interface Warning {
  host: string;
  /** Data time the host left ok, epoch ms. */
  startMs: number;
  /** Data time it was back to ok, epoch ms; null while still flagged. */
  endMs: number | null;
  peakLevel: Exclude<Level, "ok">;
  /** Highest warning-horizon risk seen during the run, fraction 0..1. */
  peakRisk30m: number;
  /** Top contributor when it was raised. */
  driver: string | null;
  /** The simulated downtime that started during the run, and how long before it the host was flagged. */
  down: { atMs: number; family: Downtime["family"]; leadMinutes: number } | null;
}

/** A simulated downtime as judged when the stream passed its start. */
export interface JudgedDowntime {
  host: string;
  atMs: number;
  family: Downtime["family"];
  /** Minutes flagged beforehand; null = not flagged (missed). */
  leadMinutes: number | null;
  levelAtDown: Level | "unknown";
}

/** The fleet at its riskiest moment: the most hosts at warning/critical, or else the highest risk. */
export interface FleetSnapshot {
  /** Data time of the moment, epoch ms. */
  atMs: number;
  /**
   * The predictions the responses showed for the hosts flagged then, each the one nearest that moment
   * (or the riskiest host when none was flagged), riskiest first.
   */
  hosts: Prediction[];
  flagged: number;
  maxRisk30m: number;
}

/** A read of a host's recorded transitions: GET /hosts/:host/history?from=fromMs&to=toMs ([from, to)). */
export interface SyncRequest {
  host: string;
  fromMs: number;
  toMs: number;
  /** At the start of logging: find when a flagged host's run began. */
  backfill: boolean;
}

interface Step {
  atMs: number;
  from: Level;
  to: Level;
  risk30m: number;
}

interface HostTrack {
  latest: Prediction;
  latestMs: number;
  /** The level and level_since the host's object has recorded, as far as the tracker knows. */
  confirmed: { level: Level; sinceMs: number | null };
  /** Recorded transitions up to this data time (inclusive) have been applied, epoch ms. */
  knownThroughMs: number;
  /** Level changes applied, oldest first (bounded). */
  steps: Step[];
  /** An open-step change taken as final, until its record is read. */
  finalised: Step | null;
  /** The run of warning/critical under way, and this host's runs (bounded). */
  current: Warning | null;
  runs: Warning[];
  /** End of this host's last simulated downtime (a run carried over a restart counts from there). */
  lastDownEndMs: number;
  /** The last few predictions the responses showed (a run that opens takes those it covers). */
  recent: Prediction[];
}

const RANK: Record<Level, number> = { ok: 0, warning: 1, critical: 2 };
const MAX_STEPS_PER_HOST = 64;
const MAX_RUNS_PER_HOST = 16;
const RECENT_PER_HOST = 8;
/** Predictions kept per run (for the riskiest moment): 6 h of one a step. */
const MAX_SEEN_PER_RUN = 360;

const risk30 = (risk: Record<string, number>): number =>
  risk[WARNING_HORIZON] ?? Math.max(0, ...Object.values(risk));
const sinceOf = (p: Prediction): number | null => (p.level_since === null ? null : Date.parse(p.level_since));
const mentions = (p: Prediction): string | null => p.contributors[0]?.metric ?? null;

export interface TrackerOptions {
  downtime: readonly Downtime[];
  /** The model's step, ms (recorded transitions are stamped with their step's end). */
  stepMs: number;
  /** Events before this data time are not logged (the warm-up's), epoch ms; see startLogging. */
  logFromMs?: number;
  /** Most events / runs kept. */
  maxEvents?: number;
}

export class FleetTracker {
  readonly hosts = new Map<string, HostTrack>();
  /** Points the edge answered for, and what it did with them. */
  accepted = 0;
  duplicates = 0;
  droppedLate = 0;
  /** Events released in data-time order (see takeReady), oldest first (bounded). */
  readonly log: DemoEvent[] = [];
  /** Every run of warning/critical since logging started, by start (bounded). */
  readonly warnings: Warning[] = [];
  /** Every simulated downtime the stream passed since logging started. */
  readonly downs: JudgedDowntime[] = [];
  /** The highest risk the responses showed, sampled after each (when no host is ever flagged). */
  private sampledPeak: FleetSnapshot | null = null;
  /** Predictions the responses showed during each run. */
  private readonly seenInRun = new WeakMap<Warning, Prediction[]>();
  /** Data time up to which every reporting host's events are known, epoch ms. */
  watermarkMs = -Infinity;
  private streamMs = -Infinity;
  private pending: DemoEvent[] = [];
  private readonly downtime: Downtime[];
  private readonly judged: boolean[] = [];
  private readonly stepMs: number;
  private readonly maxEvents: number;
  private logFromMs: number;

  constructor(o: TrackerOptions) {
    this.downtime = [...o.downtime].sort((a, b) => a.startMs - b.startMs || a.host.localeCompare(b.host));
    this.stepMs = o.stepMs;
    this.logFromMs = o.logFromMs ?? Infinity;
    this.maxEvents = o.maxEvents ?? 500;
  }

  private get logging(): boolean {
    return this.logFromMs !== Infinity;
  }

  /**
   * Starts logging at `ms` (data time): the warm-up's transitions are history, not news. Returns the
   * history reads that find when each host already flagged then was raised.
   */
  startLogging(ms: number): SyncRequest[] {
    this.logFromMs = ms;
    this.watermarkMs = Math.max(this.watermarkMs, ms - 1);
    // Downtimes before logging are history too.
    this.downtime.forEach((d, i) => {
      if (d.startMs < ms) this.judged[i] = true;
    });
    const reads: SyncRequest[] = [];
    for (const [host, t] of this.hosts) {
      if (t.confirmed.level === "ok") continue;
      const since = t.confirmed.sinceMs ?? t.latestMs;
      // A level entered at the open step carries the point's time; a recorded one its step's end.
      const startMs = since === t.latestMs ? since : since - this.stepMs / 2;
      this.openRun(t, host, startMs, t.confirmed.level, risk30(t.latest.risk), mentions(t.latest));
      reads.push({ host, fromMs: ms - BACKFILL_MS, toMs: t.latestMs + 1, backfill: true });
    }
    return reads;
  }

  /** Folds in one POST /metrics response's per-host results; returns the history reads it calls for. */
  observe(results: readonly HostIngest[]): SyncRequest[] {
    const reads: SyncRequest[] = [];
    for (const r of results) {
      this.accepted += r.accepted;
      this.duplicates += r.duplicates;
      this.droppedLate += r.dropped_late;
      if (r.prediction === null) continue;
      const read = this.see(r.prediction);
      if (read) reads.push(read);
    }
    return reads;
  }

  private see(p: Prediction): SyncRequest | null {
    const asOf = Date.parse(p.as_of);
    const since = sinceOf(p);
    const t = this.hosts.get(p.host);
    if (t === undefined) {
      // First answer for a host: its state is the baseline (before logging, the warm-up's end).
      this.hosts.set(p.host, {
        latest: p,
        latestMs: asOf,
        confirmed: { level: p.level, sinceMs: since },
        knownThroughMs: asOf,
        steps: [],
        finalised: null,
        current: null,
        runs: [],
        lastDownEndMs: -Infinity,
        recent: [p],
      });
      return null;
    }
    if (asOf < t.latestMs) return null;
    t.latest = p;
    t.latestMs = asOf;
    t.recent.push(p);
    if (t.recent.length > RECENT_PER_HOST) t.recent.shift();
    if (t.current && p.level !== "ok") {
      t.current.peakRisk30m = Math.max(t.current.peakRisk30m, risk30(p.risk));
      const seen = this.seenInRun.get(t.current);
      seen?.push(p);
      if (seen && seen.length > MAX_SEEN_PER_RUN) seen.shift();
    }
    if (t.confirmed.level === p.level && t.confirmed.sinceMs === since) {
      // No transition since the last one known (every transition moves level_since).
      t.knownThroughMs = asOf;
      return null;
    }
    if (!this.logging) {
      t.confirmed = { level: p.level, sinceMs: since };
      t.knownThroughMs = asOf;
      return null;
    }
    return { host: p.host, fromMs: t.knownThroughMs + 1, toMs: asOf + 1, backfill: false };
  }

  /** Applies the transitions a SyncRequest read (GET /hosts/:host/history's `alerts`). */
  applyAlerts(read: SyncRequest, alerts: readonly AlertTransition[]): void {
    const t = this.hosts.get(read.host);
    if (t === undefined) return;
    const sorted = [...alerts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    if (read.backfill) return this.backfill(t, sorted);
    for (const a of sorted) {
      const atMs = Date.parse(a.at);
      if (atMs <= t.knownThroughMs) continue;
      const step: Step = { atMs: atMs - this.stepMs / 2, from: a.from, to: a.to, risk30m: risk30(a.risk) };
      const f = t.finalised;
      if (f && f.from === a.from && f.to === a.to && Math.abs(f.atMs - step.atMs) <= this.stepMs / 2) {
        // The record of an open-step change already applied.
        t.finalised = null;
      } else {
        this.apply(t, read.host, step);
      }
      t.confirmed = { level: a.to, sinceMs: atMs };
    }
    t.knownThroughMs = Math.max(t.knownThroughMs, read.toMs - 1);
  }

  /** A host flagged when logging starts: its run began at the last step that left ok. */
  private backfill(t: HostTrack, alerts: readonly AlertTransition[]): void {
    const run = t.current;
    if (run === null || alerts.length === 0) return;
    let i = alerts.length - 1;
    while (i > 0 && alerts[i]!.from !== "ok") i--;
    const first = alerts[i]!;
    if (first.from === "ok") run.startMs = Date.parse(first.at) - this.stepMs / 2;
    for (const a of alerts.slice(i)) {
      if (a.to !== "ok" && RANK[a.to] > RANK[run.peakLevel]) run.peakLevel = a.to;
      run.peakRisk30m = Math.max(run.peakRisk30m, risk30(a.risk));
    }
  }

  /**
   * Tells the tracker the stream has delivered (and had answered) every point up to `dataTimeMs`:
   * judges the downtimes that started by then, takes open-step changes that can no longer move as
   * final, moves the watermark and notes the riskiest moment.
   */
  passTime(dataTimeMs: number): void {
    this.streamMs = Math.max(this.streamMs, dataTimeMs);
    if (!this.logging) return;
    for (const [host, t] of this.hosts) {
      if (t.latestMs + this.stepMs <= this.streamMs) this.finalise(t, host);
    }
    for (let i = 0; i < this.downtime.length; i++) {
      const d = this.downtime[i]!;
      if (d.startMs > this.streamMs) break;
      if (this.judged[i] === true) continue;
      this.judged[i] = true;
      if (d.startMs >= this.logFromMs) this.judge(d);
    }
    let w = this.streamMs;
    for (const t of this.hosts.values()) {
      if (t.latestMs >= this.streamMs - SILENT_STEPS * this.stepMs)
        w = Math.min(w, t.latestMs - this.stepMs / 2);
    }
    this.watermarkMs = Math.max(this.watermarkMs, w);
    this.notePeak();
  }

  /** The open step's change, if the latest answer shows one, applied as final. */
  private finalise(t: HostTrack, host: string): void {
    const p = t.latest;
    const since = sinceOf(p);
    if (since === null || (t.confirmed.level === p.level && t.confirmed.sinceMs === since)) return;
    // Only a change at the open step itself (level_since = the newest point); anything older is
    // recorded, and the next read of the history brings it.
    if (since !== t.latestMs) return;
    const step: Step = { atMs: since, from: t.confirmed.level, to: p.level, risk30m: risk30(p.risk) };
    this.apply(t, host, step);
    t.finalised = step;
    t.confirmed = { level: p.level, sinceMs: since };
  }

  private judge(d: Downtime): void {
    const t = this.hosts.get(d.host);
    if (t === undefined) {
      this.recordDown(d, null, "unknown");
      return;
    }
    // The host went down at d.startMs: its last step before that is final.
    if (t.latestMs < d.startMs) this.finalise(t, d.host);
    // Its state at its last point: steps after that hold no data (a read after the restart also
    // brings the silent steps, the first of them centred at about d.startMs).
    const cutoff = d.startMs - this.stepMs / 2;
    const level = this.levelAt(t, cutoff);
    const run = t.runs.find((r) => r.startMs <= cutoff && (r.endMs === null || r.endMs > cutoff));
    let lead: number | null = null;
    if (run) {
      lead = Math.max(0, Math.round((d.startMs - Math.max(run.startMs, t.lastDownEndMs)) / 60_000));
      run.down ??= { atMs: d.startMs, family: d.family, leadMinutes: lead };
    }
    this.recordDown(d, lead, level);
    t.lastDownEndMs = d.endMs;
  }

  private recordDown(d: Downtime, lead: number | null, level: Level | "unknown"): void {
    this.downs.push({
      host: d.host,
      atMs: d.startMs,
      family: d.family,
      leadMinutes: lead,
      levelAtDown: level,
    });
    this.queue({
      kind: "down",
      atMs: d.startMs,
      host: d.host,
      family: d.family,
      warnedMinutes: lead,
      levelAtDown: level,
      late: d.startMs < this.watermarkMs,
    });
  }

  private levelAt(t: HostTrack, ms: number): Level {
    let level: Level | null = null;
    for (const s of t.steps) {
      if (s.atMs > ms) break;
      level = s.to;
    }
    // Before the first change the tracker applied: the level that change left.
    return level ?? t.steps.find((s) => s.atMs > ms)?.from ?? t.confirmed.level;
  }

  private apply(t: HostTrack, host: string, s: Step): void {
    t.steps.push(s);
    if (t.steps.length > MAX_STEPS_PER_HOST) t.steps.shift();
    const silentDown = this.downtime.some(
      (d) => d.host === host && d.startMs - this.stepMs / 2 < s.atMs && s.atMs < d.endMs,
    );
    if (s.to === "ok") {
      if (t.current) t.current.endMs = s.atMs;
      t.current = null;
    } else if (t.current === null) {
      // Changes stamped inside a simulated downtime are the model catching up on the silent steps
      // after the restart: they move the state but are neither news nor a warning.
      if (!silentDown) this.openRun(t, host, s.atMs, s.to, s.risk30m, mentions(t.latest));
    } else {
      if (RANK[s.to] > RANK[t.current.peakLevel]) t.current.peakLevel = s.to;
      t.current.peakRisk30m = Math.max(t.current.peakRisk30m, s.risk30m);
    }
    if (s.atMs < this.logFromMs || silentDown) return;
    const rising = RANK[s.to] > RANK[s.from];
    this.queue({
      kind: "level",
      atMs: s.atMs,
      host,
      from: s.from,
      to: s.to,
      risk30m: s.risk30m,
      driver: rising ? mentions(t.latest) : null,
      late: s.atMs < this.watermarkMs,
    });
  }

  private openRun(
    t: HostTrack,
    host: string,
    startMs: number,
    level: Exclude<Level, "ok">,
    risk: number,
    driver: string | null,
  ): void {
    const run: Warning = {
      host,
      startMs,
      endMs: null,
      peakLevel: level,
      peakRisk30m: risk,
      driver,
      down: null,
    };
    t.current = run;
    this.seenInRun.set(
      run,
      t.recent.filter((p) => Date.parse(p.as_of) >= startMs - this.stepMs),
    );
    t.runs.push(run);
    if (t.runs.length > MAX_RUNS_PER_HOST) t.runs.shift();
    this.warnings.push(run);
    if (this.warnings.length > this.maxEvents) this.warnings.shift();
  }

  /**
   * The fleet at its riskiest moment: the start of a run when the most hosts were at warning or
   * critical at once (taken from the runs, so the same whatever the batching; the earliest of equals),
   * with the prediction each showed nearest then. Without any run: the highest risk sampled.
   */
  riskiestMoment(): FleetSnapshot | null {
    let best: { atMs: number; runs: Warning[] } | null = null;
    for (const r of this.warnings) {
      const atMs = Math.max(r.startMs, this.logFromMs);
      const active = this.warnings.filter(
        (x) =>
          x.startMs <= atMs &&
          (x.endMs === null || x.endMs > atMs) &&
          !(x.down !== null && x.down.atMs <= atMs),
      );
      if (
        best === null ||
        active.length > best.runs.length ||
        (active.length === best.runs.length && atMs < best.atMs)
      )
        best = { atMs, runs: active };
    }
    if (best === null) return this.sampledPeak;
    const at = best.atMs;
    const hosts = best.runs
      .flatMap((r) => {
        // Nearest among those that showed the run (a coarse request may have shown none of it).
        const seen = this.seenInRun.get(r) ?? [];
        const flagged = seen.filter((p) => p.level !== "ok");
        const pool = flagged.length > 0 ? flagged : seen;
        const near = (p: Prediction) => Math.abs(Date.parse(p.as_of) - at);
        return pool.length === 0 ? [] : [pool.reduce((a, b) => (near(b) < near(a) ? b : a))];
      })
      .sort((a, b) => risk30(b.risk) - risk30(a.risk));
    return {
      atMs: at,
      hosts,
      flagged: best.runs.length,
      maxRisk30m: Math.max(0, ...hosts.map((p) => risk30(p.risk))),
    };
  }

  private notePeak(): void {
    const down = this.downAt(this.streamMs);
    const live = [...this.hosts.values()]
      .filter((t) => !down.has(t.latest.host) && t.latestMs >= this.logFromMs)
      .map((t) => t.latest)
      .sort((a, b) => risk30(b.risk) - risk30(a.risk));
    const flagged = live.filter((p) => p.level !== "ok");
    const maxRisk30m = live[0] ? risk30(live[0].risk) : 0;
    const best = this.sampledPeak;
    if (
      best &&
      (flagged.length < best.flagged || (flagged.length === best.flagged && maxRisk30m <= best.maxRisk30m))
    )
      return;
    if (live.length === 0) return;
    this.sampledPeak = {
      atMs: this.streamMs,
      hosts: flagged.length > 0 ? flagged : live.slice(0, 1),
      flagged: flagged.length,
      maxRisk30m,
    };
  }

  /** The end of the stream: every open-step change is final, and every event is released. */
  finish(): DemoEvent[] {
    if (this.logging) for (const [host, t] of this.hosts) this.finalise(t, host);
    return this.takeReady(true);
  }

  private queue(e: DemoEvent): void {
    this.pending.push(e);
  }

  /**
   * Events whose data time every reporting host's stream has passed, in data-time order, moved to
   * `log`. `all` releases everything (the end of the run).
   */
  takeReady(all = false): DemoEvent[] {
    const w = all ? Infinity : this.watermarkMs;
    const ready = this.pending.filter((e) => e.atMs <= w);
    if (ready.length === 0) return [];
    this.pending = this.pending.filter((e) => e.atMs > w);
    ready.sort((a, b) => a.atMs - b.atMs || a.host.localeCompare(b.host));
    this.log.push(...ready);
    if (this.log.length > this.maxEvents) this.log.splice(0, this.log.length - this.maxEvents);
    return ready;
  }

  /** Simulated downtimes under way at `dataTimeMs`, by host. */
  downAt(dataTimeMs: number): Map<string, Downtime> {
    const out = new Map<string, Downtime>();
    for (const d of this.downtime) if (d.startMs <= dataTimeMs && dataTimeMs < d.endMs) out.set(d.host, d);
    return out;
  }

  /** Downtimes judged so far, the lead of each flagged one, the missed ones and the false alarms. */
  summary(nowMs = this.streamMs): {
    downtimes: number;
    flagged: number;
    leadMinutes: number[];
    missed: JudgedDowntime[];
    falseAlarms: number;
  } {
    const flagged = this.downs.filter((d) => d.leadMinutes !== null);
    return {
      downtimes: this.downs.length,
      flagged: flagged.length,
      leadMinutes: flagged.map((d) => d.leadMinutes!),
      missed: this.downs.filter((d) => d.leadMinutes === null),
      falseAlarms: this.warnings.filter((w) => isFalseAlarm(w, nowMs)).length,
    };
  }
}

/** A run that ended without a downtime, long enough ago that none is expected from it. */
export function isFalseAlarm(w: Warning, nowMs: number): boolean {
  return w.down === null && w.endMs !== null && nowMs - w.endMs >= FALSE_ALARM_AFTER_MS;
}
