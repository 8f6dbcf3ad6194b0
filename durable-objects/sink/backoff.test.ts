import { describe, expect, it } from "vitest";
import { nextRetryDelayMs } from "./backoff.ts";

const fixed = (r: number) => () => r;

describe("nextRetryDelayMs", () => {
  it("doubles the ceiling per attempt and scales it by the random draw (full jitter)", () => {
    expect(nextRetryDelayMs(1, { random: fixed(0.5) })).toBe(500);
    expect(nextRetryDelayMs(2, { random: fixed(0.5) })).toBe(1000);
    expect(nextRetryDelayMs(3, { random: fixed(0.5) })).toBe(2000);
    expect(nextRetryDelayMs(3, { random: fixed(0.999) })).toBe(3996);
    expect(nextRetryDelayMs(3, { random: fixed(0) })).toBe(0);
  });

  it("caps at maxMs, also for huge attempt counts", () => {
    expect(nextRetryDelayMs(9, { random: fixed(0.5) })).toBe(128_000);
    expect(nextRetryDelayMs(10, { random: fixed(0.5) })).toBe(150_000);
    expect(nextRetryDelayMs(10_000, { random: fixed(0.5) })).toBe(150_000);
    expect(nextRetryDelayMs(4, { baseMs: 100, maxMs: 500, random: fixed(0.5) })).toBe(250);
    expect(nextRetryDelayMs(10_000, { baseMs: 0, random: fixed(0.5) })).toBe(0);
  });

  it("stays below the ceiling for every draw of a seeded sequence", () => {
    let seed = 42;
    const lcg = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 1; attempt <= 20; attempt++) {
      const ceiling = Math.min(300_000, 1000 * 2 ** (attempt - 1));
      const d = nextRetryDelayMs(attempt, { random: lcg });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceiling);
      expect(Number.isInteger(d)).toBe(true);
    }
  });

  it("rejects nonsense instead of returning NaN", () => {
    expect(() => nextRetryDelayMs(0)).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1.5)).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1, { random: fixed(1) })).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1, { random: fixed(Number.NaN) })).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1, { baseMs: -1 })).toThrow(RangeError);
  });
});
