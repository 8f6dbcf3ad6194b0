import { describe, expect, it } from "vitest";
import { Resampler } from "./resample.ts";

const STEP = 60_000;

describe("Resampler", () => {
  it("averages points within a bucket and closes it when a later bucket starts", () => {
    const r = new Resampler({ stepMs: STEP });
    expect(r.push(1_000, [10, 50, 100, 0]).closed).toEqual([]);
    expect(r.push(30_000, [20, null, 300, 0.1]).closed).toEqual([]);
    const { closed } = r.push(61_000, [30, 52, 100, 0]);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.bucketStartMs).toBe(0);
    expect(closed[0]!.values[0]).toBe(15);
    expect(closed[0]!.values[1]).toBe(50);
    expect(closed[0]!.values[2]).toBe(200);
    expect(closed[0]!.values[3]).toBeCloseTo(0.05);
    expect(r.peek()).toEqual({ bucketStartMs: STEP, values: [30, 52, 100, 0] });
  });

  it("emits missing steps for gaps, capped at maxGapSteps", () => {
    const r = new Resampler({ stepMs: STEP, maxGapSteps: 3 });
    r.push(0, [1, 1, 1, 0]);
    const small = r.push(3 * STEP, [1, 1, 1, 0]).closed;
    expect(small.map((s) => s.bucketStartMs)).toEqual([0, STEP, 2 * STEP]);
    expect(small[1]!.values).toEqual([null, null, null, null]);
    const big = r.push(100 * STEP, [1, 1, 1, 0]).closed;
    // The closed bucket 3, then only the last 3 of the 96 missing buckets.
    expect(big.map((s) => s.bucketStartMs / STEP)).toEqual([3, 97, 98, 99]);
  });

  it("drops late points deterministically and counts them", () => {
    const r = new Resampler({ stepMs: STEP });
    r.push(2 * STEP, [1, 1, 1, 0]);
    expect(r.push(STEP + 5, [9, 9, 9, 0.9]).accepted).toBe(false);
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
