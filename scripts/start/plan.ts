/**
 * The demo's timeline, pure. A simulated fleet is played in three phases:
 *   warm-up  18 h of history, as fast as the edge accepts (the model needs hours of a host's history:
 *            its per-host normaliser has a 1-day half-life, and predictions start after the first steps);
 *   replay   the next 6 h, paced at `speed` simulated seconds per real second — where the demo's
 *            failures happen (seed 7 puts 7 of them in this window for 20 hosts);
 *   live     24 more hours at real time (speed 1), until Ctrl-C (not with --once: it stops after the
 *            replay, but the fleet is the same, so a seed gives the same data in both modes).
 * The whole fleet is shifted in time by whole steps so that the replay's newest point lands at about
 * the wall-clock time the replay ends: the edge rejects points more than 5 minutes in the future, and
 * drops points older than a host's open step, so every point must be in the past when it is sent and
 * each host's points must arrive in order (they do: the fleet streams in timestamp order).
 */
import { HOUR_MS } from "../../simulator/config.ts";
import {
  fleetPoints,
  hostPoints,
  parseFleetConfig,
  planFleet,
  type Downtime,
  type FleetConfig,
  type MetricPoint,
} from "../../simulator/fleet.ts";

export const WARMUP_HOURS = 18;
export const REPLAY_HOURS = 6;
export const LIVE_HOURS = 24;
/** Mean failures per host per day: well above the simulator's default (0.25) so the demo shows some. */
export const DEMO_FAILURES_PER_HOST_DAY = 1.2;
/** The API's limits: points per request. */
export const MAX_BATCH_POINTS = 1000;
/** How far ahead of the receive time the edge accepts a timestamp, ms. */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Pacing granularity of the stream, real ms (points due within it go out together). */
export const TICK_MS = 250;

export type PhaseName = "warm-up" | "replay" | "live";

export interface Phase {
  name: PhaseName;
  /** Simulated (unshifted) range, [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Simulated seconds per real second; 0 = as fast as the edge accepts. */
  speed: number;
  /** Points per POST. */
  batchSize: number;
}

export interface DemoPlan {
  fleet: FleetConfig;
  /** Added to every simulated timestamp before sending, ms (a whole number of steps). */
  shiftMs: number;
  phases: Phase[];
  /** Every simulated downtime the phases reach, shifted (what the view labels DOWN). */
  downtime: Downtime[];
}

/**
 * The demo's fleet: always warm-up + replay + live hours long, --once or not. The simulator's schedule
 * of benign events (deploys, cron, traffic peaks, metrics gaps) depends on the fleet's duration — a
 * 24 h fleet and the first 24 h of a 48 h fleet differ in almost every point — so a shorter fleet for
 * --once would replay other data and give other predictions and lead times for the same seed.
 * --once simply stops streaming after the replay.
 */
export function demoFleet(opts: { hosts: number; seed: number }): FleetConfig {
  return parseFleetConfig({
    seed: opts.seed,
    hosts: opts.hosts,
    durationMs: (WARMUP_HOURS + REPLAY_HOURS + LIVE_HOURS) * HOUR_MS,
    failuresPerHostDay: DEMO_FAILURES_PER_HOST_DAY,
  });
}

/**
 * Shift (ms, whole steps) that puts the replay's newest point at about `nowMs + replay duration`.
 * `speed` null = unpaced replay (its duration counts as 0). Assumes the warm-up takes no time: any time
 * it does take only leaves the points further in the past.
 */
export function demoShiftMs(fleet: FleetConfig, nowMs: number, speed: number | null): number {
  const stepMs = fleet.stepSeconds * 1000;
  const replayEnd = fleet.startMs + (WARMUP_HOURS + REPLAY_HOURS) * HOUR_MS;
  const replayRealMs = speed === null ? 0 : (REPLAY_HOURS * HOUR_MS) / speed;
  // Points jitter up to jitterSeconds after their grid instant, and pacing may send a point up to one
  // tick early.
  const target = nowMs + replayRealMs - fleet.jitterSeconds * 1000 - TICK_MS;
  return Math.floor((target - replayEnd) / stepMs) * stepMs;
}

export function planDemo(
  opts: { hosts: number; seed: number; once: boolean; speed: number | null },
  nowMs: number,
): DemoPlan {
  const fleet = demoFleet(opts);
  const shiftMs = demoShiftMs(fleet, nowMs, opts.speed);
  const at = (hours: number) => fleet.startMs + hours * HOUR_MS;
  const phases: Phase[] = [
    { name: "warm-up", fromMs: at(0), toMs: at(WARMUP_HOURS), speed: 0, batchSize: MAX_BATCH_POINTS },
    {
      name: "replay",
      fromMs: at(WARMUP_HOURS),
      toMs: at(WARMUP_HOURS + REPLAY_HOURS),
      speed: opts.speed ?? 0,
      // Unpaced, about one step per host per request, as a paced replay at the default speed sends:
      // the riskiest moment and each run's peak risk come from the responses' predictions. (Levels
      // and lead times do not depend on it: they come from the recorded transitions.)
      batchSize: opts.speed === null ? Math.min(MAX_BATCH_POINTS, opts.hosts) : MAX_BATCH_POINTS,
    },
  ];
  if (!opts.once) {
    phases.push({
      name: "live",
      fromMs: at(WARMUP_HOURS + REPLAY_HOURS),
      toMs: fleet.startMs + fleet.durationMs,
      speed: 1,
      batchSize: MAX_BATCH_POINTS,
    });
  }
  // Only those the stream can reach (--once stops after the replay).
  const endMs = phases.at(-1)!.toMs;
  const downtime = planFleet(fleet).flatMap((p) =>
    p.downtime
      .filter((d) => d.startMs < endMs)
      .map((d) => ({
        ...d,
        precursorStartMs: d.precursorStartMs === null ? null : d.precursorStartMs + shiftMs,
        startMs: d.startMs + shiftMs,
        endMs: d.endMs + shiftMs,
      })),
  );
  return { fleet, shiftMs, phases, downtime };
}

/**
 * The fleet's points cut into consecutive phases from one lazy generator (memory ~ one point per
 * host). `take(phase)` yields the points whose grid step lies in the phase, unshifted; call it for the
 * phases in order. Stopping early (abort) leaves the rest unread.
 */
export class PhasedPoints {
  private readonly source: Iterator<MetricPoint>;
  private pending: MetricPoint | undefined;
  private done = false;

  constructor(private readonly fleet: FleetConfig) {
    this.source = fleetPoints(fleet);
  }

  /** Grid instant a point belongs to (jitter < half a step). */
  private gridMs(p: MetricPoint): number {
    const stepMs = this.fleet.stepSeconds * 1000;
    return this.fleet.startMs + Math.round((p.timestamp - this.fleet.startMs) / stepMs) * stepMs;
  }

  *take(phase: Pick<Phase, "fromMs" | "toMs">): Generator<MetricPoint> {
    for (;;) {
      if (this.pending === undefined) {
        if (this.done) return;
        const r = this.source.next();
        if (r.done === true) {
          this.done = true;
          return;
        }
        this.pending = r.value;
      }
      const grid = this.gridMs(this.pending);
      if (grid >= phase.toMs) return;
      const p = this.pending;
      this.pending = undefined;
      if (grid >= phase.fromMs) yield p;
    }
  }
}

/**
 * A phase's points host after host (each host's in time order), for the warm-up: the edge only needs
 * each host's points in order, and a batch then holds long runs of one host, which its Durable Object
 * scores in one model call (a time-ordered batch of 200 hosts gives each only 5 points).
 */
export function* hostMajorPoints(
  fleet: FleetConfig,
  phase: Pick<Phase, "fromMs" | "toMs">,
): Generator<MetricPoint> {
  const stepMs = fleet.stepSeconds * 1000;
  const grid = (p: MetricPoint) =>
    fleet.startMs + Math.round((p.timestamp - fleet.startMs) / stepMs) * stepMs;
  for (const plan of planFleet(fleet)) {
    for (const p of hostPoints(fleet, plan)) {
      const g = grid(p);
      if (g >= phase.toMs) break;
      if (g >= phase.fromMs) yield p;
    }
  }
}

/** Points per phase (for progress totals): hosts × steps minus the simulator's gaps, counted exactly. */
export function countPoints(fleet: FleetConfig, phases: readonly Phase[]): number[] {
  const points = new PhasedPoints(fleet);
  return phases.map((ph) => {
    let n = 0;
    for (const _ of points.take(ph)) n++;
    return n;
  });
}
