import { N_METRICS, type MetricVector } from "./metrics.ts";

/** One fixed-width step of a host's series. */
export interface ResampledStep {
  /** Start of the step's bucket, epoch ms (phase + a multiple of stepMs). */
  bucketStartMs: number;
  /** Mean of the values seen in the bucket per metric, in METRICS order; null = none seen. */
  values: MetricVector;
}

/** Serialisable resampler state (plain JSON). */
export interface ResamplerState {
  stepMs: number;
  maxGapSteps: number;
  /**
   * Bucket boundaries sit at phaseMs + k·stepMs, chosen so the sender's own rhythm falls mid-bucket
   * (set from the first point, and again after a silence of RE_PHASE_GAP_STEPS or more).
   */
  phaseMs: number;
  /** Bucket index floor((timestamp − phaseMs) / stepMs) of the open bucket, or null before the first point. */
  openBucket: number | null;
  /** Newest accepted timestamp, epoch ms (null before the first point). */
  lastPointMs: number | null;
  sums: number[];
  counts: number[];
  /** Points dropped because their bucket had already been closed. */
  droppedLate: number;
}

export interface PushResult {
  /** Steps closed by this point, oldest first (gaps come out as all-null steps). */
  closed: ResampledStep[];
  /** False when the point was dropped because it belongs to an already-closed bucket. */
  accepted: boolean;
}

/** A silence of this many steps or more lets the bucket grid re-centre on the sender's new rhythm. */
export const RE_PHASE_GAP_STEPS = 5;

/**
 * Turns irregular points into fixed steps.
 *
 * Policy (deterministic, documented in the README):
 * - Buckets are stepMs wide and centred on the sender's rhythm: the first point (and the first point
 *   after a silence of RE_PHASE_GAP_STEPS steps or more) sits in the middle of its bucket. An agent
 *   that reports every 60 s with a few seconds of jitter therefore fills exactly one bucket per report;
 *   minute-aligned buckets would split and merge its reports whenever jitter crosses the boundary.
 * - Values within a bucket are averaged per metric, so an exact duplicate point leaves the step
 *   unchanged.
 * - A bucket closes when a point for a later bucket arrives; buckets with no points in between come
 *   out as missing steps (all metrics null), at most `maxGapSteps` of them — after a longer silence
 *   only the last `maxGapSteps` missing steps are emitted (the recurrent state has long forgotten by
 *   then, and a host that was off for a week must not cost 10 000 inference steps).
 * - A point older than the open bucket is dropped (`accepted: false`) and counted in `droppedLate`.
 * - `peek()` gives the open bucket's aggregate so a prediction can include the newest point without
 *   committing it.
 *
 * @example
 * const r = new Resampler({ stepMs: 60_000 });
 * r.push(0, [10, 20, 30, 0]);          // opens bucket 0
 * r.push(61_000, [12, 20, 31, 0]).closed; // → [{ bucketStartMs: 0, values: [10, 20, 30, 0] }]
 */
export class Resampler {
  private s: ResamplerState;

  constructor(opts: { stepMs: number; maxGapSteps?: number } | { state: ResamplerState }) {
    if ("state" in opts) {
      this.s = copyState(opts.state);
    } else {
      if (!(opts.stepMs > 0)) throw new RangeError("stepMs must be > 0");
      this.s = {
        stepMs: opts.stepMs,
        maxGapSteps: opts.maxGapSteps ?? 120,
        phaseMs: 0,
        openBucket: null,
        lastPointMs: null,
        sums: new Array<number>(N_METRICS).fill(0),
        counts: new Array<number>(N_METRICS).fill(0),
        droppedLate: 0,
      };
    }
  }

  get stepMs(): number {
    return this.s.stepMs;
  }

  get droppedLate(): number {
    return this.s.droppedLate;
  }

  /** Newest accepted point's timestamp, epoch ms, or null before any point. */
  get lastPointMs(): number | null {
    return this.s.lastPointMs;
  }

  push(timestampMs: number, values: MetricVector): PushResult {
    const closed: ResampledStep[] = [];
    const step = this.s.stepMs;
    let bucket = Math.floor((timestampMs - this.s.phaseMs) / step);
    let open = this.s.openBucket;
    if (open !== null && bucket < open) {
      this.s.droppedLate++;
      return { closed, accepted: false };
    }
    if (open === null || bucket - open > RE_PHASE_GAP_STEPS) {
      // Centre the grid on this point. Past a long silence, close the open bucket on the old grid
      // first and express it (and the gap) in new-grid indices: the new bucket starts ≥ 4.5 steps
      // after the old one ends, so nothing overlaps.
      const newPhase = mod(timestampMs - step / 2, step);
      if (open !== null) {
        closed.push(this.current(open));
        const oldEnd = (open + 1) * step + this.s.phaseMs;
        open = Math.ceil((oldEnd - newPhase) / step) - 1;
        this.s.sums.fill(0);
        this.s.counts.fill(0);
      }
      this.s.phaseMs = newPhase;
      bucket = Math.floor((timestampMs - newPhase) / step);
      if (open !== null) {
        const gap = bucket - open - 1;
        for (let b = bucket - Math.min(gap, this.s.maxGapSteps); b < bucket; b++) {
          closed.push({ bucketStartMs: b * step + newPhase, values: new Array<null>(N_METRICS).fill(null) });
        }
        open = bucket;
      }
    }
    if (open !== null && bucket > open) {
      closed.push(this.current(open));
      const gap = bucket - open - 1;
      for (let b = bucket - Math.min(gap, this.s.maxGapSteps); b < bucket; b++) {
        closed.push({
          bucketStartMs: b * step + this.s.phaseMs,
          values: new Array<null>(N_METRICS).fill(null),
        });
      }
      this.s.sums.fill(0);
      this.s.counts.fill(0);
    }
    this.s.openBucket = bucket;
    this.s.lastPointMs = Math.max(this.s.lastPointMs ?? timestampMs, timestampMs);
    for (let i = 0; i < N_METRICS; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      this.s.sums[i]! += v;
      this.s.counts[i]! += 1;
    }
    return { closed, accepted: true };
  }

  /** The open bucket as a step (not committed), or null before the first point. */
  peek(): ResampledStep | null {
    return this.s.openBucket === null ? null : this.current(this.s.openBucket);
  }

  /** Closes the open bucket without waiting for a later point (end of a finite series). */
  flush(): ResampledStep[] {
    if (this.s.openBucket === null) return [];
    const step = this.current(this.s.openBucket);
    this.s.openBucket = null;
    this.s.sums.fill(0);
    this.s.counts.fill(0);
    return [step];
  }

  toJSON(): ResamplerState {
    return copyState(this.s);
  }

  private current(bucket: number): ResampledStep {
    const values: MetricVector = [];
    for (let i = 0; i < N_METRICS; i++) {
      const n = this.s.counts[i]!;
      values.push(n > 0 ? this.s.sums[i]! / n : null);
    }
    return { bucketStartMs: bucket * this.s.stepMs + this.s.phaseMs, values };
  }
}

/** Non-negative remainder. */
function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** A deep copy (cheaper than structuredClone, which runs on every save). */
function copyState(s: ResamplerState): ResamplerState {
  return { ...s, sums: s.sums.slice(), counts: s.counts.slice() };
}
