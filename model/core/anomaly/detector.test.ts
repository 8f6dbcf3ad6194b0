import { describe, expect, it } from "vitest";
import { MetricAnomalyDetector, anomalyFactory, createNabDetector, digitsToScore } from "./index.ts";

const STEP_MS = 300_000; // 5 min, like NAB's AWS series
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic standard-normal noise (LCG + Box–Muller), so tests never flake. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function run(
  values: readonly (number | null)[],
  d = new MetricAnomalyDetector(),
  stepMs = STEP_MS,
): number[] {
  return values.map((v, i) => d.update(T0 + i * stepMs, v));
}

function maxOf(xs: readonly number[]): number {
  return xs.reduce((m, x) => Math.max(m, x), 0);
}

/** The q-quantile (0..1) of xs. */
function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function noisy(n: number, seed = 1, level = 50, sd = 2): number[] {
  const g = noise(seed);
  return Array.from({ length: n }, () => level + sd * g());
}

describe("MetricAnomalyDetector", () => {
  it("scores a level shift in a stationary noisy series high within a few steps", () => {
    const values = noisy(3000);
    for (let i = 2000; i < 3000; i++) values[i] = values[i]! + 15; // +7.5 σ
    const scores = run(values);
    const after = maxOf(scores.slice(2000, 2005));
    const steady = scores.slice(500, 2000);
    expect(after).toBeGreaterThan(0.9);
    // Steady noise can score high only at a rare new extreme (the novelty channel), never routinely.
    expect(quantile(steady, 0.99)).toBeLessThan(0.3);
    expect(steady.filter((x) => x >= 0.5).length / steady.length).toBeLessThan(0.003);
  });

  it("scores a single spike high at the spike", () => {
    const values = noisy(3000, 2);
    values[2500] = 50 + 12 * 2;
    const scores = run(values);
    expect(scores[2500]).toBeGreaterThan(0.9);
    expect(quantile(scores.slice(500, 2500), 0.99)).toBeLessThan(0.3);
  });

  it("stays low on steady noise", () => {
    const scores = run(noisy(5000, 3)).slice(500);
    const high = scores.filter((s) => s >= 0.5).length;
    expect(high / scores.length).toBeLessThan(0.002);
  });

  // The seasonal profile learns per day, not per point: the same behaviour at 60 s, 5 min and 1 h steps.
  for (const stepMs of [60_000, 300_000, 3_600_000]) {
    const perDay = 86_400_000 / stepMs;

    it(`stays low on a clean daily cycle once it has seen a day (step ${stepMs / 60_000} min)`, () => {
      const g = noise(4);
      const values = Array.from(
        { length: perDay * 10 },
        (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / perDay) + 0.5 * g(),
      );
      const scores = run(values, new MetricAnomalyDetector(), stepMs).slice(perDay * 2);
      expect(maxOf(scores)).toBeLessThan(0.5);
    });

    it(`flags a missing daily busy period (seasonal channel, step ${stepMs / 60_000} min)`, () => {
      const g = noise(5);
      const values = Array.from({ length: perDay * 30 }, (_, i) => {
        const phase = (i % perDay) / perDay;
        const busy = phase > 0.3 && phase < 0.6 && Math.floor(i / perDay) !== 25; // day 25: no busy period
        return (busy ? 80 : 20) + 2 * g();
      });
      const scores = run(values, new MetricAnomalyDetector(), stepMs);
      const normal = scores.slice(perDay * 3, perDay * 25);
      const missed = maxOf(scores.slice(perDay * 25.3, perDay * 25.7)); // by its end at the latest
      expect(missed).toBeGreaterThan(0.5);
      // Normal days alert only at a rare new extreme of the noise (novelty), not every day.
      expect(normal.filter((x) => x >= 0.5).length).toBeLessThan(22);
    });
  }

  it("continues bit-identically after a JSON round trip of its state", () => {
    const values: (number | null)[] = noisy(4000, 6);
    values[1234] = null;
    values[2100] = 130;
    for (let i = 3000; i < 4000; i++) values[i] = (values[i] as number) - 20;
    const whole = run(values);

    const first = new MetricAnomalyDetector();
    const head = run(values.slice(0, 2050), first);
    const restored = MetricAnomalyDetector.fromJSON(JSON.parse(JSON.stringify(first.toJSON())));
    const tail = values.slice(2050).map((v, i) => restored.update(T0 + (2050 + i) * STEP_MS, v));
    expect([...head, ...tail]).toEqual(whole);
    expect(JSON.stringify(restored.toJSON())).toEqual(JSON.stringify(runSnapshot(values)));
  });

  it("clones into an independent detector that continues identically", () => {
    const values = noisy(1500, 15);
    const d = new MetricAnomalyDetector();
    run(values.slice(0, 1000), d);
    const c = d.clone();
    c.update(T0 + 1000 * STEP_MS, 500); // a provisional point on the copy only
    const copy = new MetricAnomalyDetector({}, d.toJSON());
    const a = values.slice(1000).map((v, i) => d.update(T0 + (1000 + i) * STEP_MS, v));
    const b = values.slice(1000).map((v, i) => copy.update(T0 + (1000 + i) * STEP_MS, v));
    expect(a).toEqual(b);
  });

  it("stores its configuration only when it is not the default one", () => {
    const values = noisy(600, 21);
    const plain = new MetricAnomalyDetector();
    run(values.slice(0, 300), plain);
    expect(plain.toJSON().config).toBeUndefined();
    const custom = new MetricAnomalyDetector({ fullScoreDigits: 3, likelihood: { shortWindows: [4] } });
    run(values.slice(0, 300), custom);
    const saved = JSON.parse(JSON.stringify(custom.toJSON())) as ReturnType<typeof custom.toJSON>;
    expect(saved.config?.fullScoreDigits).toBe(3);
    const back = MetricAnomalyDetector.fromJSON(saved);
    expect(back.config).toEqual(custom.config);
    const rest = values.slice(300);
    expect(rest.map((v, i) => back.update(T0 + (300 + i) * STEP_MS, v))).toEqual(
      rest.map((v, i) => custom.update(T0 + (300 + i) * STEP_MS, v)),
    );
    // A snapshot written with the default config spelled out (older format) restores, and its next
    // snapshot leaves it out.
    const old = { ...plain.toJSON(), config: JSON.parse(JSON.stringify(new MetricAnomalyDetector().config)) };
    const restored = MetricAnomalyDetector.fromJSON(old);
    expect(restored.toJSON().config).toBeUndefined();
    expect(restored.update(T0 + 300 * STEP_MS, values[300]!)).toBe(
      plain.update(T0 + 300 * STEP_MS, values[300]!),
    );
  });

  it("keeps its state compact", () => {
    const d = new MetricAnomalyDetector();
    run(noisy(3000, 7), d);
    expect(JSON.stringify(d.toJSON()).length).toBeLessThan(8000);
  });

  it("handles missing values: null scores 0, leaves the forecasters untouched, detection continues", () => {
    const values: (number | null)[] = noisy(3000, 8);
    for (let i = 1000; i < 1100; i++) values[i] = null;
    values[2500] = 50 + 12 * 2;
    const d = new MetricAnomalyDetector();
    const scores = run(values, d);
    expect(scores.slice(1000, 1100).every((s) => s === 0)).toBe(true);
    expect(scores[2500]).toBeGreaterThan(0.75);
    expect(d.toJSON().state.missing).toBe(100);
    expect(d.toJSON().state.n).toBe(2900);
    expect(d.update(T0, Number.NaN)).toBe(0);
  });

  it("gives scores in [0, 1], finite, for constant, huge, tiny and wild inputs", () => {
    const g = noise(9);
    const series: number[][] = [
      new Array<number>(1500).fill(7),
      new Array<number>(1500).fill(0),
      Array.from({ length: 1500 }, () => 1e12 * (1 + 0.01 * g())),
      Array.from({ length: 1500 }, () => 1e-12 * (1 + 0.01 * g())),
      Array.from({ length: 1500 }, (_, i) => (i % 2 === 0 ? 1e300 : -1e300)),
      Array.from({ length: 1500 }, (_, i) => (i % 97 === 0 ? Number.MAX_VALUE : Number.MIN_VALUE)),
      Array.from({ length: 1500 }, (_, i) => (i < 750 ? 1 : 1e200)),
    ];
    for (const values of series) {
      const d = new MetricAnomalyDetector();
      const scores = run(values, d);
      expect(scores.every((s) => Number.isFinite(s) && s >= 0 && s <= 1)).toBe(true);
      // The state must survive JSON (no NaN/Infinity inside).
      expect(MetricAnomalyDetector.fromJSON(JSON.parse(JSON.stringify(d.toJSON()))).toJSON()).toEqual(
        d.toJSON(),
      );
    }
  });

  it("scores a constant series 0 and its first change high", () => {
    const values = new Array<number>(1500).fill(3);
    values[1400] = 3.5;
    const scores = run(values);
    expect(maxOf(scores.slice(0, 1400))).toBe(0);
    expect(scores[1400]).toBeGreaterThan(0.75);
  });

  it("does not depend on the unit of the series", () => {
    const base = noisy(2500, 10);
    base[2200] = 80;
    const a = run(base);
    const b = run(base.map((v) => v * 1e6));
    const c = run(base.map((v) => v * 1e-6));
    for (let i = 0; i < a.length; i++) {
      expect(b[i]).toBeCloseTo(a[i]!, 6);
      expect(c[i]).toBeCloseTo(a[i]!, 6);
    }
  });

  it("raises the score on a large external forecast error", () => {
    const values = noisy(2000, 11);
    const g = noise(12);
    const d = new MetricAnomalyDetector({ channels: { step: false, seasonal: false, novelty: false } });
    const quiet = values.slice(0, 1900).map((v, i) => d.update(T0 + i * STEP_MS, v, 0.8 * g()));
    const loud = d.update(T0 + 1900 * STEP_MS, values[1900]!, 9);
    expect(loud).toBeGreaterThan(maxOf(quiet.slice(300)) + 0.2);
    expect(d.lastDigits().external).toBeGreaterThan(3);
  });

  it("rejects a malformed snapshot", () => {
    const snap = new MetricAnomalyDetector().toJSON();
    expect(() => MetricAnomalyDetector.fromJSON({ ...snap, state: { ...snap.state, n: -1 } })).toThrow();
    expect(() => MetricAnomalyDetector.fromJSON({ ...snap, version: 2 })).toThrow();
    expect(() => MetricAnomalyDetector.fromJSON(null)).toThrow();
  });
});

describe("entry points", () => {
  it("createNabDetector scores like a default MetricAnomalyDetector", () => {
    const values = noisy(1500, 13);
    values[1300] = 90;
    const nab = createNabDetector();
    const a = values.map((v, i) => nab.update(T0 + i * STEP_MS, v));
    expect(a).toEqual(run(values));
  });

  it("anomalyFactory restores what it created", () => {
    const d = anomalyFactory.create("cpu_usage");
    const values = noisy(800, 14);
    values.forEach((v, i) => d.update(v, 0.1, T0 + i * STEP_MS));
    const r = anomalyFactory.restore("cpu_usage", JSON.parse(JSON.stringify(d.toJSON())));
    const c = d.clone();
    const next = d.update(120, 3, T0 + 800 * STEP_MS);
    expect(r.update(120, 3, T0 + 800 * STEP_MS)).toBe(next);
    expect(c.update(120, 3, T0 + 800 * STEP_MS)).toBe(next);
  });
});

function runSnapshot(values: readonly (number | null)[]) {
  const d = new MetricAnomalyDetector();
  run(values, d);
  return d.toJSON();
}

describe("score is continuous and monotone in the evidence (no pile-up at exactly 1)", () => {
  it("digitsToScore: 0 at no evidence, linear to 0.5, then strictly increasing below 1", () => {
    expect(digitsToScore(0, 5)).toBe(0);
    expect(digitsToScore(Number.NaN, 5)).toBe(0);
    expect(digitsToScore(-1, 5)).toBe(0);
    expect(digitsToScore(1, 5)).toBeCloseTo(0.2, 12);
    expect(digitsToScore(2.5, 5)).toBeCloseTo(0.5, 12);
    // Continuous at the knee, value and slope.
    expect(digitsToScore(2.5 + 1e-9, 5) - digitsToScore(2.5 - 1e-9, 5)).toBeCloseTo(2e-9 / 5, 15);
    let prev = 0;
    for (const d of [0.1, 1, 2.4, 2.6, 5, 20, 100, 1e4, 2e7]) {
      const s = digitsToScore(d, 5);
      expect(s).toBeGreaterThan(prev);
      expect(s).toBeLessThan(1);
      prev = s;
    }
  });

  it("a larger spike scores higher than a smaller one, both below 1", () => {
    const peakOf = (jump: number): number => {
      const values = noisy(600, 3);
      values[500] = 50 + jump;
      return run(values)[500]!;
    };
    const small = peakOf(30);
    const large = peakOf(300);
    expect(small).toBeGreaterThan(0.9);
    expect(large).toBeGreaterThan(small);
    expect(large).toBeLessThan(1);
  });
});
