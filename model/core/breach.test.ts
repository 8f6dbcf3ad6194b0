import { describe, expect, it } from "vitest";
import { timeToBreachSeconds } from "./breach.ts";

describe("timeToBreachSeconds", () => {
  it("extrapolates a linear climb to the breach level", () => {
    const climb = Array.from({ length: 20 }, (_, i) => 50 + i); // 1 %/step, last 69
    expect(timeToBreachSeconds(climb, 60, 95)).toBeCloseTo(26 * 60, 6);
  });

  it("returns 0 at or over the breach and null for flat, falling or sparse series", () => {
    expect(timeToBreachSeconds([90, 92, 96], 60, 95)).toBe(0);
    expect(timeToBreachSeconds(Array(20).fill(40), 60, 95)).toBeNull();
    expect(
      timeToBreachSeconds(
        Array.from({ length: 20 }, (_, i) => 80 - i),
        60,
        95,
      ),
    ).toBeNull();
    expect(timeToBreachSeconds([10, null, 12, null, 14], 60, 95)).toBeNull();
  });

  it("ignores missing steps but keeps their spacing", () => {
    const v: (number | null)[] = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? null : 50 + i));
    expect(timeToBreachSeconds(v, 60, 95)).toBeCloseTo(26 * 60, 6);
  });

  it("caps the horizon", () => {
    const slow = Array.from({ length: 20 }, (_, i) => 10 + 0.001 * i);
    expect(timeToBreachSeconds(slow, 60, 95, { maxSeconds: 3600 })).toBeNull();
  });
});
