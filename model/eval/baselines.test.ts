import { describe, expect, it } from "vitest";
import {
  ewmaMaxZ,
  hysteresisFlags,
  linearTimeToBreach,
  staticCondition,
  type StepValues,
} from "./baselines.ts";

function series(rows: number, f: (t: number) => [number, number, number, number]): StepValues {
  const values = new Float64Array(rows * 4);
  for (let t = 0; t < rows; t++) values.set(f(t), t * 4);
  return { rows, values, stepSeconds: 60 };
}

describe("baselines", () => {
  it("static thresholds fire on any metric over its level", () => {
    const v = series(3, (t) => [t === 1 ? 99 : 50, 50, 50, 0]);
    expect(staticCondition(v, 0.5)).toEqual([false, true, false]);
  });

  it("linear extrapolation forecasts a memory climb's breach and nothing on a flat host", () => {
    const climb = series(60, (t) => [40, 50 + t * 0.5, 30, 0.001]);
    const ttb = linearTimeToBreach(climb);
    // At t = 59 memory is 79.5 %, climbing 0.5 %/step → 31 steps to 95 %.
    expect(ttb[59]! / 60).toBeCloseTo(31, 5);
    const flat = linearTimeToBreach(series(60, () => [40, 50, 30, 0.001]));
    expect(flat[59]).toBe(Number.POSITIVE_INFINITY);
  });

  it("EWMA z rises on a jump above the host's own normal", () => {
    const v = series(300, (t) => [t < 250 ? 30 + (t % 3) : 80, 50, 30, 0.001]);
    const z = ewmaMaxZ(v);
    expect(z[200]!).toBeLessThan(3);
    expect(z[251]!).toBeGreaterThan(5);
  });

  it("hysteresis needs consecutive steps to enter and to leave", () => {
    const c = [true, false, true, true, false, true, false, false, false];
    expect(hysteresisFlags(c, 2, 3)).toEqual([false, false, false, true, true, true, true, true, false]);
  });
});
