import { describe, expect, it } from "vitest";
import { NAB_PROFILES } from "./profiles.ts";
import {
  OUTSIDE,
  PROBATION,
  START_THRESHOLD,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreSeriesAt,
  scoresByThreshold,
  sweepSeries,
} from "./sweep.ts";

const standard = NAB_PROFILES.standard;
// 2·sigmoid(−5x) − 1 = tanh(−5x/2): the hand-computed expectations below use tanh, not the code's exp.
const S = (x: number): number => Math.tanh(-2.5 * x);
const maxTP = S(-1); // 0.98661…

/** n rows of score 0 with the given rows set. */
function scores(n: number, set: Record<number, number>): Float64Array {
  const a = new Float64Array(n);
  for (const [row, s] of Object.entries(set)) a[Number(row)] = s;
  return a;
}

/** Best corpus score for one file, n = 20 rows (rows 0–2 probationary), one window on rows 10–14. */
function bestScore(set: Record<number, number>, n = 20, windows = [{ start: 10, end: 14 }], cost = standard) {
  return optimizeThreshold([sweepSeries("f.csv", scores(n, set), windows, cost)], cost);
}

describe("scaledSigmoid", () => {
  it("follows NAB's documented values", () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBeCloseTo(S(3), 12);
  });
  it("is exactly −1 more than three window lengths after a window", () => {
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(Number.POSITIVE_INFINITY)).toBe(-1);
  });
});

describe("probationaryLength", () => {
  it("is floor(15 % of the rows), capped at 750", () => {
    expect(probationaryLength(20)).toBe(3);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(5000)).toBe(750);
    expect(probationaryLength(10_000)).toBe(750);
  });
});

describe("sweepSeries (per-row scores)", () => {
  const s = sweepSeries("f.csv", scores(20, {}), [{ start: 10, end: 14 }], standard);
  it("marks probation, window and outside rows", () => {
    expect(Array.from(s.slot.slice(0, 4))).toEqual([PROBATION, PROBATION, PROBATION, OUTSIDE]);
    expect(Array.from(s.slot.slice(9, 16))).toEqual([OUTSIDE, 0, 0, 0, 0, 0, OUTSIDE]);
  });
  it("rewards a window's rows by relative position, 1·A_TP at the left edge", () => {
    expect(s.sweepScore[10]).toBe(1);
    expect(s.sweepScore[12]).toBeCloseTo(S(-3 / 5) / maxTP, 12);
    expect(s.sweepScore[14]).toBeCloseTo(S(-1 / 5) / maxTP, 12);
  });
  it("costs −A_FP before any window and a distance-scaled A_FP after one", () => {
    expect(s.sweepScore[3]).toBe(-0.11);
    expect(s.sweepScore[9]).toBe(-0.11);
    // Distance after the window's last row, relative to (window width − 1) = 4.
    expect(s.sweepScore[16]).toBeCloseTo(0.11 * S(2 / 4), 12);
    expect(s.sweepScore[19]).toBeCloseTo(0.11 * S(5 / 4), 12);
  });
  it("rejects anomaly scores outside 0..1, naming the row", () => {
    expect(() => sweepSeries("bad.csv", [0, 1.5], [], standard)).toThrow(/bad\.csv: data row 2 .*1\.5/);
    expect(() => sweepSeries("bad.csv", [Number.NaN], [], standard)).toThrow(/data row 1/);
  });
});

describe("one window, hand-computed corpus scores (standard profile)", () => {
  it("TP at the window's start earns exactly A_TP", () => {
    expect(bestScore({ 10: 1 })).toMatchObject({ threshold: 1, score: 1, tp: 1, fp: 0 });
  });
  it("TP in the middle earns S(−0.6)/S(−1)", () => {
    expect(bestScore({ 12: 1 }).score).toBeCloseTo(S(-0.6) / maxTP, 12);
  });
  it("TP at the window's last row earns S(−1/width)/S(−1)", () => {
    expect(bestScore({ 14: 1 }).score).toBeCloseTo(S(-0.2) / maxTP, 12);
  });
  it("only the earliest detection in a window counts, even if a later one scores higher", () => {
    const best = bestScore({ 12: 0.8, 14: 0.9 });
    expect(best.threshold).toBe(0.8);
    expect(best.score).toBeCloseTo(S(-0.6) / maxTP, 12);
    expect(best.tp).toBe(2);
  });
  it("a missed window costs A_FN", () => {
    const all = scoresByThreshold(
      [sweepSeries("f.csv", scores(20, {}), [{ start: 10, end: 14 }], standard)],
      standard,
    );
    expect(all[0]).toMatchObject({ threshold: START_THRESHOLD, score: -1, tp: 0, fn: 5, fp: 0, tn: 12 });
  });
  it("an FP before any window costs A_FP", () => {
    expect(bestScore({ 5: 1, 10: 1 }).score).toBeCloseTo(1 - 0.11, 12);
  });
  it("an FP after a window costs A_FP scaled by its distance after that window", () => {
    expect(bestScore({ 10: 1, 16: 1 }).score).toBeCloseTo(1 + 0.11 * S(0.5), 12);
  });
  it("an FP more than three window lengths after a window costs the full A_FP", () => {
    expect(bestScore({ 10: 1, 30: 1 }, 40).score).toBeCloseTo(1 - 0.11, 12);
  });
  it("an FP is weighted by the closest preceding window, not the next one", () => {
    const windows = [
      { start: 10, end: 14 },
      { start: 25, end: 34 },
    ];
    const best = bestScore({ 10: 1, 20: 1, 25: 1, 36: 1 }, 50, windows);
    expect(best.score).toBeCloseTo(2 + 0.11 * S(6 / 4) + 0.11 * S(2 / 9), 12);
    expect(best.fp).toBe(2);
  });
  it("ignores detections in the probationary period", () => {
    expect(bestScore({ 1: 1, 10: 1 })).toMatchObject({ score: 1, fp: 0, tp: 1 });
  });
  it("scores a window that starts in probation from its first scorable row on", () => {
    // Window rows 1–5, probation rows 0–2: row 2 is not even a candidate threshold, row 3 sits at −(5−3+1)/5.
    const ignored = sweepSeries("f.csv", scores(20, { 2: 1 }), [{ start: 1, end: 5 }], standard);
    expect(scoresByThreshold([ignored], standard).map((t) => t.threshold)).toEqual([1.1, 0]);
    expect(bestScore({ 3: 1 }, 20, [{ start: 1, end: 5 }]).score).toBeCloseTo(S(-0.6) / maxTP, 12);
  });
  it("applies the profile weights (reward_low_FN_rate: a miss costs 2)", () => {
    const cost = NAB_PROFILES.reward_low_FN_rate;
    const series = sweepSeries("f.csv", scores(20, { 10: 1 }), [{ start: 10, end: 14 }], cost);
    expect(scoresByThreshold([series], cost)[0]).toMatchObject({ threshold: 1.1, score: -2 });
    expect(optimizeThreshold([series], cost).score).toBe(1);
  });
});

describe("threshold sweep", () => {
  const series = sweepSeries(
    "f.csv",
    scores(20, { 10: 0.9, 12: 0.7, 5: 0.3 }),
    [{ start: 10, end: 14 }],
    standard,
  );
  const all = scoresByThreshold([series], standard);
  it("lists 1.1 and then every distinct score, highest first, counting rows ≥ threshold", () => {
    expect(all.map((t) => t.threshold)).toEqual([1.1, 0.9, 0.7, 0.3, 0]);
    expect(all.map((t) => [t.tp, t.fp])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [2, 1],
      [5, 12],
    ]);
    expect(all[3]?.score).toBeCloseTo(1 - 0.11, 12);
  });
  it("breaks ties towards the higher threshold, as NAB's stable sort does", () => {
    // 0.9 and 0.7 both score 1 (row 12 is not the earliest detection); NAB keeps 0.9.
    expect(all[1]?.score).toBe(1);
    expect(all[2]?.score).toBe(1);
    expect(optimizeThreshold([series], standard).threshold).toBe(0.9);
  });
  it("scoreSeriesAt counts a row whose score equals the threshold as a detection", () => {
    expect(scoreSeriesAt(series, standard, 0.3)).toMatchObject({
      tp: 2,
      fp: 1,
      windowsDetected: 1,
      windows: 1,
    });
    expect(scoreSeriesAt(series, standard, 0.3).score).toBeCloseTo(1 - 0.11, 12);
    expect(scoreSeriesAt(series, standard, 0.31)).toMatchObject({ tp: 2, fp: 0 });
  });
  it("uses one threshold for the whole corpus, agreeing with the per-file scores", () => {
    const a = sweepSeries("a.csv", scores(20, { 10: 0.8, 5: 0.9 }), [{ start: 10, end: 14 }], standard);
    const b = sweepSeries("b.csv", scores(20, { 10: 0.3 }), [{ start: 10, end: 14 }], standard);
    const best = optimizeThreshold([a, b], standard);
    // Per file, 0.8 would suit a.csv; over the corpus 0.3 wins: (1 − 0.11) + 1.
    expect(best.threshold).toBe(0.3);
    expect(best.score).toBeCloseTo(1.89, 12);
    const sum = scoreSeriesAt(a, standard, 0.3).score + scoreSeriesAt(b, standard, 0.3).score;
    expect(sum).toBeCloseTo(best.score, 12);
  });
});
