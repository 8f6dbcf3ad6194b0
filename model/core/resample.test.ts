import { describe, expect, it } from "vitest";
import { RE_PHASE_GAP_STEPS, Resampler } from "./resample.ts";

const STEP = 60_000;
const HALF = STEP / 2;

describe("Resampler", () => {
  it("centres buckets on the first point, averages within a bucket, closes it when the next starts", () => {
    const r = new Resampler({ stepMs: STEP });
    expect(r.push(0, [10, 50, 100, 0]).closed).toEqual([]);
    expect(r.push(20_000, [20, null, 300, 0.1]).closed).toEqual([]);
    const { closed } = r.push(61_000, [30, 52, 100, 0]);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.bucketStartMs).toBe(-HALF);
    expect(closed[0]!.values[0]).toBe(15);
    expect(closed[0]!.values[1]).toBe(50);
    expect(closed[0]!.values[2]).toBe(200);
    expect(closed[0]!.values[3]).toBeCloseTo(0.05);
    expect(r.peek()).toEqual({ bucketStartMs: HALF, values: [30, 52, 100, 0] });
    expect(r.lastPointMs).toBe(61_000);
  });

  it("gives one step per report to a sender with jitter around its own rhythm", () => {
    const r = new Resampler({ stepMs: STEP });
    const jitter = [0, 4_000, -4_000, 3_500, -3_900, 2_000, -1_000, 3_999, -3_999];
    const closed = jitter.flatMap((j, i) => r.push(1_767_225_600_000 + i * STEP + j, [i, 1, 1, 0]).closed);
    expect(closed.map((s) => s.values[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("emits missing steps for gaps, capped at maxGapSteps", () => {
    const r = new Resampler({ stepMs: STEP, maxGapSteps: 3 });
    r.push(0, [1, 1, 1, 0]);
    const small = r.push(3 * STEP, [1, 1, 1, 0]).closed;
    expect(small.map((s) => s.bucketStartMs + HALF)).toEqual([0, STEP, 2 * STEP]);
    expect(small[1]!.values).toEqual([null, null, null, null]);
  });

  it("re-centres on the sender's new rhythm after a long silence, without overlapping steps", () => {
    const r = new Resampler({ stepMs: STEP, maxGapSteps: 200 });
    r.push(0, [1, 1, 1, 0]);
    const restart = (RE_PHASE_GAP_STEPS + 10) * STEP + 29_000; // new rhythm: 29 s past the old one
    const closed = r.push(restart, [2, 2, 2, 0]).closed;
    expect(closed[0]).toEqual({ bucketStartMs: -HALF, values: [1, 1, 1, 0] });
    const starts = closed.map((s) => s.bucketStartMs);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(STEP);
    expect(starts[1]!).toBeGreaterThanOrEqual(HALF);
    expect(r.peek()!.bucketStartMs).toBe(restart - HALF);
    expect(starts[starts.length - 1]).toBe(restart - HALF - STEP);
  });

  it("drops late points deterministically and counts them", () => {
    const r = new Resampler({ stepMs: STEP });
    r.push(2 * STEP, [1, 1, 1, 0]);
    expect(r.push(STEP, [9, 9, 9, 0.9]).accepted).toBe(false);
    expect(r.droppedLate).toBe(1);
    expect(r.peek()!.values).toEqual([1, 1, 1, 0]);
  });

  it("is unchanged by an exact duplicate point", () => {
    const a = new Resampler({ stepMs: STEP });
    const b = new Resampler({ stepMs: STEP });
    a.push(5, [40, 60, 80, 0.02]);
    b.push(5, [40, 60, 80, 0.02]);
    b.push(5, [40, 60, 80, 0.02]);
    expect(b.peek()).toEqual(a.peek());
  });

  it("round-trips through JSON state", () => {
    const a = new Resampler({ stepMs: STEP });
    a.push(0, [1, 2, 3, 0]);
    a.push(10, [3, 2, 1, 0]);
    const b = new Resampler({ state: JSON.parse(JSON.stringify(a.toJSON())) });
    expect(b.push(STEP * 2, [0, 0, 0, 0])).toEqual(a.push(STEP * 2, [0, 0, 0, 0]));
  });
});
