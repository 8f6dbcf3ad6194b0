import { describe, expect, it } from "vitest";
import {
  baselines,
  nabBenchmark,
  normalise,
  nullDetections,
  scoreCorpus,
  type LabelledScores,
} from "./corpus.ts";
import { NAB_PROFILES } from "./profiles.ts";

const S = (x: number): number => Math.tanh(-2.5 * x); // = 2·sigmoid(−5x) − 1

function file(
  name: string,
  n: number,
  windows: { start: number; end: number }[],
  set: Record<number, number> = {},
) {
  const anomalyScores = new Float64Array(n);
  for (const [row, s] of Object.entries(set)) anomalyScores[Number(row)] = s;
  return { name, anomalyScores, windows } satisfies LabelledScores;
}

describe("normalise", () => {
  it("maps null to 0 and perfect to 100, linearly", () => {
    const b = { nullScore: -4, perfectScore: 2 };
    expect(normalise(-4, b)).toBe(0);
    expect(normalise(2, b)).toBe(100);
    expect(normalise(-1, b)).toBe(50);
  });
  it("is undefined (null) when null and perfect coincide", () => {
    expect(normalise(0, { nullScore: 0, perfectScore: 0 })).toBeNull();
  });
});

describe("baselines", () => {
  it("optimises the null detector like any other (here detecting everything beats detecting nothing)", () => {
    // 20 rows, probation 0–2, window 10–14. At threshold 0.5 every row is a detection: +1 for the
    // window (left edge), −0.11 for each of rows 3–9, distance-scaled FPs for rows 15–19.
    const corpus = [file("a.csv", 20, [{ start: 10, end: 14 }])];
    const after = [1, 2, 3, 4, 5].reduce((sum, d) => sum + 0.11 * S(d / 4), 0);
    const b = baselines(corpus, NAB_PROFILES.standard);
    expect(b.nullScore).toBeCloseTo(1 - 7 * 0.11 + after, 12);
    expect(b.perfectScore).toBe(1);
  });
  it("is −windows · A_FN for the null detector on long files, where FPs outweigh", () => {
    const corpus = [file("a.csv", 400, [{ start: 200, end: 239 }]), file("b.csv", 400, [])];
    expect(baselines(corpus, NAB_PROFILES.reward_low_FN_rate)).toEqual({ nullScore: -2, perfectScore: 1 });
  });
  it("counts every label window for the perfect score, even one inside probation (as NAB does)", () => {
    const corpus = [
      file("a.csv", 400, [
        { start: 10, end: 20 },
        { start: 200, end: 239 },
      ]),
    ];
    expect(baselines(corpus, NAB_PROFILES.standard).perfectScore).toBe(2);
  });
  it("nullDetections is 0.5 on every row", () => {
    expect(Array.from(nullDetections([file("a.csv", 3, [])])[0]?.anomalyScores ?? [])).toEqual([
      0.5, 0.5, 0.5,
    ]);
  });
});

describe("nabBenchmark", () => {
  const windows = {
    a: [{ start: 100, end: 139 }],
    b: [
      { start: 150, end: 169 },
      { start: 300, end: 339 },
    ],
  };
  it("scores a perfect detector (left edge of every window, nothing else) 100 on every profile", () => {
    const corpus = [
      file("a.csv", 400, windows.a, { 100: 1 }),
      file("b.csv", 400, windows.b, { 150: 1, 300: 1 }),
      file("c.csv", 400, []),
    ];
    const results = nabBenchmark(corpus);
    expect(results.map((r) => r.profile)).toEqual(["standard", "reward_low_FP_rate", "reward_low_FN_rate"]);
    for (const r of results) {
      expect(r.normalisedScore).toBe(100);
      expect(r).toMatchObject({ rawScore: 3, perfectScore: 3, windowsDetected: 3, windows: 3, threshold: 1 });
    }
  });
  it("scores NAB's null detector 0 on every profile", () => {
    const corpus = [file("a.csv", 400, windows.a), file("b.csv", 400, windows.b)];
    for (const r of nabBenchmark(nullDetections(corpus))) expect(r.normalisedScore).toBe(0);
  });
  it("reports per-file scores that add up to the optimiser's corpus score", () => {
    const corpus = [
      file("a.csv", 400, windows.a, { 120: 0.7, 60: 0.9, 250: 0.6 }),
      file("b.csv", 400, windows.b, { 160: 0.8, 345: 0.6 }),
    ];
    const r = scoreCorpus(corpus, NAB_PROFILES.standard);
    expect(r.files.map((f) => f.name)).toEqual(["a.csv", "b.csv"]);
    expect(r.rawScore).toBeCloseTo(r.optimiserScore, 12);
    expect(r.windows).toBe(3);
  });
});
