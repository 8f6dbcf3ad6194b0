import { describe, expect, it } from "vitest";
import {
  FEATURE_NAMES,
  FeatureBuilder,
  N_FEATURES,
  maskIndex,
  scaledIndex,
  urgencyIndex,
  zIndex,
} from "./features.ts";
import { HostNormalizer, Z_CLIP } from "./normalize.ts";
import { featurizeSeries, forecastTargets, pointVector } from "./offline.ts";
import { METRICS } from "./metrics.ts";

describe("FeatureBuilder", () => {
  it("names 16 features in metric order", () => {
    expect(FEATURE_NAMES).toHaveLength(16);
    expect(N_FEATURES).toBe(16);
    expect(FEATURE_NAMES.slice(0, 4)).toEqual([
      "cpu_usage:scaled",
      "cpu_usage:z",
      "cpu_usage:mask",
      "cpu_usage:urgency",
    ]);
  });

  it("urgency rises as a metric's trend approaches its breach level", () => {
    const fb = new FeatureBuilder();
    let last = 0;
    const seen: number[] = [];
    for (let t = 0; t < 40; t++) {
      const row = fb.row([40, 60 + t, 30, 0.001]); // memory +1 %/step → 95 % at t = 35
      seen.push(row[urgencyIndex(1)]!);
      if (t >= 10) expect(row[urgencyIndex(1)]!).toBeGreaterThanOrEqual(last);
      last = row[urgencyIndex(1)]!;
    }
    expect(seen[5]).toBe(0); // fewer than 10 points: no trend yet
    expect(seen[20]!).toBeCloseTo(Math.exp(-(15 * 60) / 1800), 5);
    expect(seen[39]).toBe(1); // over the breach
    const flat = new FeatureBuilder();
    for (let t = 0; t < 40; t++) expect(flat.row([40, 60, 30, 0.001])[urgencyIndex(1)]).toBe(0);
  });

  it("masks missing metrics and scales present ones", () => {
    const fb = new FeatureBuilder();
    const row = fb.row([50, null, 1000, 0.25]);
    expect(row[0]).toBeCloseTo(0.5);
    expect(row[maskIndex(1)]).toBe(0);
    expect(row[scaledIndex(1)]).toBe(0);
    expect(row[scaledIndex(2)]).toBeCloseTo(1); // log1p(1000)/log1p(1000)
    expect(row[scaledIndex(3)]).toBeCloseTo(0.5); // sqrt(0.25)
  });

  it("z-scores against the host's own history, before the step updates it", () => {
    const fb = new FeatureBuilder();
    for (let i = 0; i < 500; i++) fb.row([40 + (i % 2 ? 1 : -1), 50, 20, 0.01]);
    const calm = fb.row([40, 50, 20, 0.01], false);
    expect(Math.abs(calm[zIndex(0)]!)).toBeLessThan(0.5);
    const hot = fb.row([90, 50, 20, 0.01], false);
    expect(hot[zIndex(0)]).toBe(Z_CLIP);
    // Without commit nothing moved.
    expect(fb.row([40, 50, 20, 0.01], false)).toEqual(calm);
  });

  it("does not absorb a sustained climb within an hour (winsorised, slow half-life)", () => {
    const n = new HostNormalizer();
    for (let i = 0; i < 2000; i++) n.update([0.4 + 0.01 * Math.sin(i), null, null, null]);
    for (let i = 0; i < 60; i++) n.update([0.4 + (0.55 * i) / 60, null, null, null]);
    expect(n.mean(0)).toBeLessThan(0.45);
    expect(n.z(0, 0.95)).toBeGreaterThan(4);
  });

  it("state round-trips through JSON", () => {
    const a = new FeatureBuilder();
    for (let i = 0; i < 50; i++) a.row([i, 100 - i, 10 + i, 0.001 * i]);
    const b = new FeatureBuilder(JSON.parse(JSON.stringify(a.toJSON())));
    expect(b.row([33, 44, 55, 0.05])).toEqual(a.row([33, 44, 55, 0.05]));
  });
});

describe("pointVector", () => {
  it("lists a point's values in METRICS order, null where a metric was not sent", () => {
    const p = { timestamp: 0, cpu_usage: 1, memory_usage: 2, network_latency: 3, error_rate: 0.4 };
    expect(pointVector(p)).toEqual(METRICS.map((m) => p[m]));
    expect(pointVector({ timestamp: 0, memory_usage: 2 })).toEqual([null, 2, null, null]);
  });
});

describe("featurizeSeries / forecastTargets", () => {
  it("builds one row per step and next-step z targets", () => {
    const step = 60_000;
    const pts = Array.from({ length: 10 }, (_, i) => ({
      timestamp: i * step + 1_000,
      cpu_usage: 10 + i,
      memory_usage: 50,
      network_latency: 30,
      error_rate: 0,
    })).filter((_, i) => i !== 4); // step 4 missing
    const s = featurizeSeries(pts, step);
    expect(s.rows).toBe(10);
    expect(s.features[4 * N_FEATURES + maskIndex(0)]).toBe(0);
    const y = forecastTargets(s);
    expect(y[2 * 4 + 0]).toBe(s.features[3 * N_FEATURES + zIndex(0)]);
    expect(Number.isNaN(y[3 * 4 + 0]!)).toBe(true); // next step missing
    expect(Number.isNaN(y[9 * 4 + 0]!)).toBe(true); // no next step
  });
});
