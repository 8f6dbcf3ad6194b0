/**
 * The detector on streams as real exporters write them (all generated here): every row gets a score in
 * 0..1, and a row stamped at or before the previous one follows the documented clock policy (README.md,
 * "Messy streams").
 */
import { describe, expect, it } from "vitest";
import { MetricAnomalyDetector } from "./detector.ts";
import { createNabDetector } from "./index.ts";

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2015, 10, 1);
const N = 3000;
const wave = (i: number): number => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 13;
const ts = (i: number): number => T0 + i * 5 * MIN;

function scores(rows: readonly (readonly [number, number])[]): number[] {
  const d = createNabDetector();
  return rows.map(([t, v]) => d.update(t, v));
}
const series = (f: (i: number) => [number, number]): [number, number][] =>
  Array.from({ length: N }, (_, i) => f(i));

const CASES: Record<string, [number, number][]> = {
  "fall-back hour (12 rows repeat the previous hour)": series((i) => [
    ts(i) - (i >= 1500 ? 60 * MIN : 0),
    wave(i),
  ]),
  "duplicated rows": series((i) => [ts(Math.floor(i / 2)), wave(Math.floor(i / 2))]),
  "a row a year back": series((i) => [i === 1200 ? T0 - 365 * DAY : ts(i), wave(i)]),
  "gaps of days": series((i) => [ts(i) + (i >= 1000 ? 12 * DAY : 0) + (i >= 2000 ? 60 * DAY : 0), wave(i)]),
  "irregular steps": series((i) => [T0 + i * 5 * MIN + ((i * 104729) % 17) * 41_000, wave(i)]),
  "constant zero, then a step": series((i) => [ts(i), i < 2500 ? 0 : 1]),
  "constant, then ±1.8e308": series((i) => [
    ts(i),
    i < 2000 ? 3 : i % 2 ? Number.MAX_VALUE : -Number.MAX_VALUE,
  ]),
  "huge values now and then": series((i) => [ts(i), i % 300 === 0 ? 1e300 : wave(i)]),
  "denormal values": series((i) => [ts(i), i < 2000 ? 5e-324 : 1e-323]),
  "NaN and ±Infinity (missing)": series((i) => [
    ts(i),
    i % 7 === 0 ? Number.NaN : i % 11 === 0 ? Number.POSITIVE_INFINITY : wave(i),
  ]),
};

describe("MetricAnomalyDetector on messy streams", () => {
  it.each(Object.entries(CASES))("%s: one score in 0..1 per row", (_name, rows) => {
    const s = scores(rows);
    expect(s).toHaveLength(rows.length);
    const bad = s.findIndex((x) => !(Number.isFinite(x) && x >= 0 && x <= 1));
    expect(bad, `row ${bad}: ${s[bad]}`).toBe(-1);
  });

  it("still flags the step after a long constant stretch and a big excursion after huge ones", () => {
    // Near 1, not exactly 1: the score approaches 1 with the evidence (digitsToScore).
    expect(Math.max(...scores(CASES["constant zero, then a step"]!).slice(2500, 2510))).toBeGreaterThan(0.99);
    expect(Math.max(...scores(CASES["constant, then ±1.8e308"]!).slice(2000, 2010))).toBeGreaterThan(0.99);
  });

  it("a backward row counts as zero elapsed time; the clock then follows the rows", () => {
    const d = new MetricAnomalyDetector();
    for (let i = 0; i < 600; i++) d.update(ts(i), wave(i));
    const before = d.toJSON().state;
    // A repeat of the last hour's first row: scored, updates level and range, but not the
    // time-weighted parts (the hour smoothing and the time-of-day profile).
    const s = d.update(ts(588), wave(603));
    expect(s).toBeGreaterThanOrEqual(0);
    const after = d.toJSON().state;
    expect(after.smoothed).toBe(before.smoothed);
    expect(after.seasonMean).toEqual(before.seasonMean);
    expect(after.seasonDev).toEqual(before.seasonDev);
    expect(after.n).toBe(before.n + 1);
    expect(after.last).toBe(wave(603));
    // The clock is not clamped: the next row of the repeated hour is 5 min later, as in the file.
    expect(after.lastMs).toBe(ts(588));
    d.update(ts(589), wave(604));
    expect(d.toJSON().state.smoothed).not.toBe(after.smoothed);
  });

  it("an exact duplicate row leaves the time-of-day profile as it was", () => {
    const d = new MetricAnomalyDetector();
    for (let i = 0; i < 400; i++) d.update(ts(i), wave(i));
    const before = d.toJSON().state;
    d.update(ts(399), wave(399));
    const after = d.toJSON().state;
    expect(after.seasonMean).toEqual(before.seasonMean);
    expect(after.smoothed).toBe(before.smoothed);
  });

  it("scores the rows before an odd row exactly as without it (online, nothing reordered)", () => {
    const clean = scores(series((i) => [ts(i), wave(i)]));
    const odd = scores(CASES["a row a year back"]!);
    expect(odd.slice(0, 1200)).toEqual(clean.slice(0, 1200));
  });
});
