/**
 * NAB's sweeper (numenta/NAB `nab/sweeper.py`, v1.1), re-implemented step for step.
 *
 * Every row gets a "sweep score": what it would add if it were a detection. Inside a window that is
 * the scaled sigmoid of its relative position (earlier = more), outside it is a false-positive cost
 * scaled by the distance after the preceding window. A threshold sweep over all rows of a corpus,
 * highest anomaly score first, then yields the corpus score at every distinct threshold in one pass.
 */
import { NabInputError } from "./errors.ts";
import { PROBATION_FRACTION, type CostMatrix } from "./profiles.ts";
import type { WindowRows } from "./windows.ts";

/** Slot of a row outside every window (a detection there is a false positive). */
export const OUTSIDE = -1;
/** Slot of a row in the probationary period (never scored). */
export const PROBATION = -2;

/** NAB's first threshold: above every valid score, so nothing is detected (all windows missed). */
export const START_THRESHOLD = 1.1;

/**
 * 2·sigmoid(−5·position) − 1, NAB's reward curve: position −1 (left edge of a window) → 0.98661,
 * 0 (right edge) → 0, +1 (one window length after it) → −0.98661; beyond +3 it is exactly −1.
 */
export function scaledSigmoid(position: number): number {
  if (position > 3.0) return -1.0;
  // Same operation order as NAB's `2*sigmoid(-5*x) - 1.0`, so results agree to the last bit or so.
  return 2 * (1 / (1 + Math.exp(-(-5 * position)))) - 1.0;
}

/** Rows 0 … n−1 with index below this are probationary: min(floor(15 % of rows), 750). */
export function probationaryLength(rowCount: number, fraction: number = PROBATION_FRACTION): number {
  return Math.min(Math.floor(fraction * rowCount), fraction * 5000);
}

/** One file after the per-row pass: everything the threshold sweep needs. */
export interface SeriesSweep {
  /** Unique name, e.g. `realAdExchange/exchange-2_cpc_results.csv`. */
  name: string;
  /** Detector output per row, 0..1. */
  anomalyScores: ArrayLike<number>;
  /** Score a detection at this row would contribute (weighted by the profile). */
  sweepScore: Float64Array;
  /** Window index of the row, or OUTSIDE / PROBATION. */
  slot: Int32Array;
  /** Number of label windows of the file (including any that lie wholly in probation). */
  windowCount: number;
}

/**
 * NAB's `calcSweepScore` for one file.
 *
 * @param windows ordered, disjoint, inclusive row ranges (see `resolveWindows`)
 */
export function sweepSeries(
  name: string,
  anomalyScores: ArrayLike<number>,
  windows: readonly WindowRows[],
  cost: CostMatrix,
  probationFraction: number = PROBATION_FRACTION,
): SeriesSweep {
  const n = anomalyScores.length;
  for (let i = 0; i < n; i++) {
    const s = anomalyScores[i] as number;
    if (!(s >= 0 && s <= 1)) {
      throw new NabInputError(
        "bad_score",
        `${name}: data row ${i + 1} has anomaly score ${s}, expected 0..1`,
      );
    }
  }
  const sweepScore = new Float64Array(n);
  const slot = new Int32Array(n);
  const maxTP = scaledSigmoid(-1.0);
  const probation = probationaryLength(n, probationFraction);

  let next = 0;
  let cur: WindowRows | null = null;
  let curId = OUTSIDE;
  let curWidth = 0;
  let prevEnd: number | null = null;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const upcoming = windows[next];
    if (cur === null && upcoming !== undefined && i === upcoming.start) {
      cur = upcoming;
      curId = next;
      curWidth = upcoming.end - upcoming.start + 1;
      next++;
    }
    if (cur !== null) {
      // −1 at the left edge, −1/width at the right edge: earlier detections earn more.
      const position = -(cur.end - i + 1) / curWidth;
      sweepScore[i] = (scaledSigmoid(position) * cost.tpWeight) / maxTP;
    } else if (prevEnd === null) {
      // No window yet: as costly as a detection far from any window.
      sweepScore[i] = -1.0 * cost.fpWeight;
    } else {
      // Relative distance after the preceding window. NAB divides by zero after a one-row window;
      // here that gives +Infinity, i.e. the full false-positive cost.
      const position = Math.abs(prevEnd - i) / (prevWidth - 1);
      sweepScore[i] = scaledSigmoid(position) * cost.fpWeight;
    }
    slot[i] = i >= probation ? (cur === null ? OUTSIDE : curId) : PROBATION;
    if (cur !== null && i === cur.end) {
      prevEnd = i;
      prevWidth = curWidth;
      cur = null;
      curId = OUTSIDE;
    }
  }
  return { name, anomalyScores, sweepScore, slot, windowCount: windows.length };
}

/** Row counts at one threshold (NAB counts rows, not windows). */
export interface RowCounts {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

/** Corpus score if every row with anomaly score ≥ `threshold` were a detection. */
export interface ThresholdScore extends RowCounts {
  threshold: number;
  score: number;
}

/**
 * NAB's `calcScoreByThreshold` over a whole corpus: one entry per distinct anomaly score (plus the
 * 1.1 start), highest threshold first. Sorting dominates: O(n log n) for n scored rows.
 */
export function scoresByThreshold(series: readonly SeriesSweep[], cost: CostMatrix): ThresholdScore[] {
  let rows = 0;
  let windows = 0;
  for (const s of series) {
    for (let i = 0; i < s.slot.length; i++) if (s.slot[i] !== PROBATION) rows++;
    windows += s.windowCount;
  }
  const score = new Float64Array(rows);
  const sweep = new Float64Array(rows);
  const win = new Int32Array(rows);
  // Per window: best sweep score of a detection so far, starting at −fnWeight (a miss); NaN marks a
  // window with no scorable row, which NAB leaves out of the sum altogether.
  const parts = new Float64Array(windows).fill(Number.NaN);
  let k = 0;
  let windowOffset = 0;
  for (const s of series) {
    for (let i = 0; i < s.slot.length; i++) {
      const w = s.slot[i] as number;
      if (w === PROBATION) continue;
      score[k] = s.anomalyScores[i] as number;
      sweep[k] = s.sweepScore[i] as number;
      win[k] = w === OUTSIDE ? OUTSIDE : windowOffset + w;
      if (w !== OUTSIDE) parts[windowOffset + w] = -cost.fnWeight;
      k++;
    }
    windowOffset += s.windowCount;
  }

  // Stable descending order (ties keep corpus order), as Python's sorted(..., reverse=True).
  const order = Array.from({ length: rows }, (_, i) => i);
  order.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);

  let windowTotal = 0;
  for (const p of parts) if (!Number.isNaN(p)) windowTotal += p;
  let fpTotal = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < rows; i++) if (win[i] !== OUTSIDE) fn++;
  let tn = rows - fn;

  const out: ThresholdScore[] = [];
  let threshold = START_THRESHOLD;
  for (const r of order) {
    const s = score[r] as number;
    if (s !== threshold) {
      out.push({ threshold, score: fpTotal + windowTotal, tp, tn, fp, fn });
      threshold = s;
    }
    const w = win[r] as number;
    const v = sweep[r] as number;
    if (w === OUTSIDE) {
      fp++;
      tn--;
      fpTotal += v;
    } else {
      tp++;
      fn--;
      // Only the earliest detection in a window counts; it has the highest sweep score there.
      const old = parts[w] as number;
      if (v > old) {
        windowTotal += v - old;
        parts[w] = v;
      }
    }
  }
  out.push({ threshold, score: fpTotal + windowTotal, tp, tn, fp, fn });
  return out;
}

/**
 * NAB's optimiser: the threshold with the highest corpus score. Ties go to the highest threshold
 * (NAB sorts the sweep, already in descending threshold order, with a stable sort by score).
 */
export function optimizeThreshold(series: readonly SeriesSweep[], cost: CostMatrix): ThresholdScore {
  const all = scoresByThreshold(series, cost);
  let best = all[0] as ThresholdScore;
  for (const t of all) if (t.score > best.score) best = t;
  return best;
}

/** One file scored at a fixed threshold (NAB's `scoreDataSet`). */
export interface FileScore extends RowCounts {
  name: string;
  score: number;
  /** Label windows of the file, including any wholly inside the probationary period. */
  windows: number;
  /** Windows with at least one detection. */
  windowsDetected: number;
}

/** Totals over files scored at one threshold: raw score, row counts, windows and windows detected. */
export function sumFileScores(files: Iterable<FileScore>): {
  rawScore: number;
  counts: RowCounts;
  windows: number;
  windowsDetected: number;
} {
  const counts: RowCounts = { tp: 0, tn: 0, fp: 0, fn: 0 };
  let rawScore = 0;
  let windows = 0;
  let windowsDetected = 0;
  for (const f of files) {
    rawScore += f.score;
    counts.tp += f.tp;
    counts.tn += f.tn;
    counts.fp += f.fp;
    counts.fn += f.fn;
    windows += f.windows;
    windowsDetected += f.windowsDetected;
  }
  return { rawScore, counts, windows, windowsDetected };
}

/** Scores one file with detections = rows whose anomaly score is ≥ `threshold`. */
export function scoreSeriesAt(s: SeriesSweep, cost: CostMatrix, threshold: number): FileScore {
  const parts = new Float64Array(s.windowCount).fill(Number.NaN);
  const detected = new Uint8Array(s.windowCount);
  let fpTotal = 0;
  const counts: RowCounts = { tp: 0, tn: 0, fp: 0, fn: 0 };
  for (let i = 0; i < s.slot.length; i++) {
    const w = s.slot[i] as number;
    if (w === PROBATION) continue;
    const hit = (s.anomalyScores[i] as number) >= threshold;
    const v = s.sweepScore[i] as number;
    if (w === OUTSIDE) {
      if (hit) {
        counts.fp++;
        fpTotal += v;
      } else counts.tn++;
      continue;
    }
    if (Number.isNaN(parts[w] as number)) parts[w] = -cost.fnWeight;
    if (hit) {
      counts.tp++;
      detected[w] = 1;
      if (v > (parts[w] as number)) parts[w] = v;
    } else counts.fn++;
  }
  let score = fpTotal;
  for (const p of parts) if (!Number.isNaN(p)) score += p;
  let windowsDetected = 0;
  for (const d of detected) windowsDetected += d;
  return { name: s.name, score, ...counts, windows: s.windowCount, windowsDetected };
}
