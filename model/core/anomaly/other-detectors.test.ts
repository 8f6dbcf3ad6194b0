import { describe, expect, it } from "vitest";
import { ArtDetector, artSpec } from "./art.ts";
import { BocpdDetector, bocpdSpec } from "./bocpd.ts";
import { MetricAnomalyDetector } from "./detector.ts";
import { EnsembleDetector, ensembleSpec } from "./ensemble.ts";
import { PeakDamper, digitsToScore, gaussianSource, stateBytes } from "./score-shaping.ts";

const STEP_MS = 300_000;
const T0 = Date.UTC(2024, 0, 1);

interface Scored {
  update(timestampMs: number, value: number | null): number;
  stateBytes(): number;
}

const DETECTORS: [string, () => Scored][] = [
  ["bocpd", () => new BocpdDetector()],
  ["art", () => new ArtDetector()],
  ["ensemble (edge+art, max)", () => new EnsembleDetector()],
  [
    "ensemble (all, tail-max)",
    () => new EnsembleDetector({ members: "edge+art+bocpd", combine: "tail-max" }),
  ],
];

function noisy(n: number, seed: number, level = 50, sd = 2): number[] {
  const g = gaussianSource(seed);
  return Array.from({ length: n }, () => level + sd * g());
}

function run(d: Scored, values: readonly (number | null)[], times?: readonly number[]): number[] {
  return values.map((v, i) => d.update(times?.[i] ?? T0 + i * STEP_MS, v));
}

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const maxOf = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), 0);

function expectScores(scores: readonly number[]): void {
  for (const s of scores) {
    expect(Number.isFinite(s)).toBe(true);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThanOrEqual(1);
  }
}

describe.each(DETECTORS)("%s", (_name, make) => {
  it("scores a level shift above the normal data before it", () => {
    const values = noisy(2600, 11);
    for (let i = 2000; i < values.length; i++) values[i] = values[i]! + 15; // +7.5 σ
    const scores = run(make(), values);
    expect(maxOf(scores.slice(2000, 2010))).toBeGreaterThan(quantile(scores.slice(300, 2000), 0.999));
  });

  it("scores a single spike above the normal data around it", () => {
    const values = noisy(2600, 12);
    values[2300] = 50 + 12 * 2;
    const scores = run(make(), values);
    const normal = [...scores.slice(300, 2300), ...scores.slice(2320)];
    expect(maxOf(scores.slice(2300, 2305))).toBeGreaterThan(quantile(normal, 0.999));
  });

  it("scores a variance increase above the normal data before it", () => {
    const g = gaussianSource(13);
    const values = Array.from({ length: 2600 }, (_, i) => 50 + (i >= 2000 ? 10 : 1) * g());
    const scores = run(make(), values);
    expect(maxOf(scores.slice(2000, 2050))).toBeGreaterThan(quantile(scores.slice(300, 2000), 0.999));
  });

  it("is deterministic, never scores exactly 1 on noise and stays continuous (few exact zeros)", () => {
    const values = noisy(1500, 14);
    const a = run(make(), values);
    const b = run(make(), values);
    expect(a).toEqual(b);
    expect(a.filter((s) => s === 1)).toHaveLength(0);
    expectScores(a);
    // After the warm-up, rows with less evidence score lower instead of all scoring exactly 0.
    const after = a.slice(300);
    expect(after.filter((s) => s === 0).length / after.length).toBeLessThan(0.05);
    expect(new Set(after).size).toBeGreaterThan(0.9 * after.length);
  });

  it("keeps a fixed state size however long the stream", () => {
    const d = make();
    const g = gaussianSource(15);
    for (let i = 0; i < 600; i++) d.update(T0 + i * STEP_MS, 10 * Math.sin(i / 30) + g());
    const early = d.stateBytes();
    const graph = stateBytes(d, new Set(["config", "consts"]));
    for (let i = 600; i < 20_000; i++)
      d.update(T0 + i * STEP_MS, 10 * Math.sin(i / 30) + g() + (i % 997 === 0 ? 40 : 0));
    expect(d.stateBytes()).toBe(early);
    expect(stateBytes(d, new Set(["config", "consts"]))).toBe(graph);
    expect(early).toBeLessThan(16_000);
  });

  it("handles constant streams, then a change after them", () => {
    const values = [...Array<number>(800).fill(7), ...Array<number>(50).fill(7.5)];
    const scores = run(make(), values);
    expectScores(scores);
    const flat = maxOf(scores.slice(100, 800));
    expect(flat).toBeLessThan(0.05);
    expect(maxOf(scores.slice(800, 810))).toBeGreaterThan(Math.max(flat, 0.1));
  });

  it("stays finite in 0..1 on huge, tiny and missing values", () => {
    const g = gaussianSource(16);
    const values: (number | null)[] = [];
    for (let i = 0; i < 1200; i++) {
      const k = Math.floor(i / 200);
      values.push([1e300 * g(), 1e-300 * g(), Number.MAX_VALUE, -Number.MAX_VALUE, 1e12 + g(), 5][k]!);
    }
    values.push(NaN, Infinity, -Infinity, null, 0, 1e308, -1e308, 0);
    const scores = run(make(), values);
    expectScores(scores);
    expect(scores.slice(1200, 1204)).toEqual([0, 0, 0, 0]);
  });

  it("scores repeated and backward timestamps in row order, every row in 0..1", () => {
    const values = noisy(1200, 17);
    const times = values.map((_, i) => T0 + i * STEP_MS);
    for (let i = 500; i < 512; i++) times[i] = times[499]!; // repeated
    for (let i = 700; i < 712; i++) times[i] = T0 + (i - 100) * STEP_MS; // an hour back
    times[900] = T0 - 365 * 86_400_000; // one row a year back
    const scores = run(make(), values, times);
    expect(scores).toHaveLength(values.length);
    expectScores(scores);
  });
});

describe("row-based detectors ignore the clock", () => {
  it.each([
    ["bocpd (not seasonal)", () => new BocpdDetector({ seasonal: false })],
    ["art", () => new ArtDetector()],
  ] as const)("%s scores messy timestamps exactly as regular ones", (_n, make) => {
    const values = noisy(900, 18);
    values[600] = 90;
    const regular = run(make(), values);
    const messy = values.map((_, i) => (i % 50 === 0 ? T0 - i * STEP_MS : T0 + Math.floor(i / 3) * STEP_MS));
    expect(run(make(), values, messy)).toEqual(regular);
  });
});

describe("BocpdDetector", () => {
  it("keeps at most maxRuns run-length hypotheses, a posterior summing to 1", () => {
    const d = new BocpdDetector({ maxRuns: 16 });
    run(d, noisy(500, 19));
    const post = d.runLengthPosterior();
    expect(post.length).toBe(16);
    expect(post.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("moves the run-length posterior to short runs after a level shift", () => {
    const d = new BocpdDetector({ evidence: "bayes-factor" });
    const values = noisy(700, 20);
    for (let i = 600; i < 700; i++) values[i] = values[i]! + 20;
    run(d, values.slice(0, 605));
    const post = d.runLengthPosterior();
    const short = post.slice(0, 8).reduce((a, b) => a + b, 0);
    expect(short).toBeGreaterThan(0.9);
  });

  it("is unit-free: a series × 1e6 scores the same", () => {
    const values = noisy(1000, 21);
    values[800] = 70;
    const a = run(new BocpdDetector(), values);
    const b = run(
      new BocpdDetector(),
      values.map((v) => v * 1e6),
    );
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
  });
});

describe("ArtDetector", () => {
  it("never holds more than maxCategories categories", () => {
    const d = new ArtDetector({ maxCategories: 8 });
    run(d, noisy(3000, 22, 0, 30));
    expect(d.categoryCount()).toBe(8);
  });

  it("keeps learned boxes valid when the seen range grows: a repeated pattern is not novel again", () => {
    const pattern = Array.from({ length: 400 }, (_, i) => 10 + 5 * Math.sin(i / 10));
    const d = new ArtDetector();
    run(d, pattern);
    d.update(T0, 500); // widens the range 30-fold
    const after = pattern.slice(0, 200).map((v, i) => d.update(T0 + (i + 1) * STEP_MS, v));
    expect(maxOf(after.slice(20))).toBeLessThan(0.5);
  });
});

describe("ensemble", () => {
  it("max and mean combine the members' scores", () => {
    const values = noisy(800, 23);
    values[700] = 80;
    const mx = run(new EnsembleDetector({ combine: "max" }), values);
    const mean = run(new EnsembleDetector({ combine: "mean" }), values);
    for (let i = 0; i < values.length; i++) expect(mean[i]).toBeLessThanOrEqual(mx[i]! + 1e-15);
    expect(mx[700]).toBeGreaterThan(0.5);
  });

  it("with otherWeight the other members count for that fraction: max(edge, w · art)", () => {
    const values = noisy(900, 25);
    values[700] = 80;
    const edge = new MetricAnomalyDetector();
    const art = new ArtDetector();
    const ens = new EnsembleDetector({ members: "edge+art", combine: "max", otherWeight: 0.25 });
    values.forEach((v, i) => {
      const t = T0 + i * STEP_MS;
      const want = Math.max(edge.update(t, v), 0.25 * art.update(t, v));
      expect(ens.update(t, v)).toBe(want);
    });
  });
});

describe("score shaping", () => {
  it("digitsToScore is continuous, increasing and below 1", () => {
    const xs = [0, 0.1, 1, 5, 50, 500, 5e6].map((d) => digitsToScore(d, 5));
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1]!);
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]).toBeLessThan(1);
    expect(digitsToScore(NaN, 5)).toBe(0);
    expect(digitsToScore(Infinity, 5)).toBeLessThan(1);
  });

  it("PeakDamper damps rows not above the decayed peak", () => {
    const p = new PeakDamper(0.5, 0.1);
    expect(p.apply(0.8)).toBe(0.8);
    expect(p.apply(0.3)).toBeCloseTo(0.03, 12); // 0.3 ≤ 0.4
    expect(p.apply(0.3)).toBe(0.3); // peak now 0.4 × 0.5 = 0.2
  });
});

describe("bench:nab specs", () => {
  it.each([
    ["bocpd", bocpdSpec],
    ["art", artSpec],
    ["ensemble", ensembleSpec],
  ] as const)("%s: a grid of ≤ 8 flat configurations, each creating a working detector", (_n, spec) => {
    expect(spec.grid.length).toBeGreaterThan(1);
    expect(spec.grid.length).toBeLessThanOrEqual(8);
    const keys = JSON.stringify(Object.keys(spec.grid[0]!).sort());
    for (const p of spec.grid) {
      expect(JSON.stringify(Object.keys(p).sort())).toBe(keys);
      for (const v of Object.values(p)) expect(["number", "boolean", "string"]).toContain(typeof v);
      const d = (spec.create as (x: typeof p) => { update(t: number, v: number): number })(p);
      expectScores(noisy(200, 24).map((v, i) => d.update(T0 + i * STEP_MS, v)));
    }
    expect(new Set(spec.grid.map((p) => JSON.stringify(p))).size).toBe(spec.grid.length);
  });
});
