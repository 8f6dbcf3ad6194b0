import { describe, expect, it } from "vitest";
import { deriveSeed, mix32, Rng } from "./rng.ts";

describe("Rng", () => {
  it("repeats the same sequence for the same seed and differs for another", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 50 }, () => a.nextUint32());
    const sb = Array.from({ length: 50 }, () => b.nextUint32());
    const sc = Array.from({ length: 50 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it("gives uniform floats in [0, 1) and standard normals", () => {
    const r = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.next();
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
      const b = Math.floor(x * 10);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(5 * Math.sqrt(n / 10));

    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
    }
    expect(s1 / n).toBeCloseTo(0, 1);
    expect(s2 / n).toBeCloseTo(1, 1);
  });

  it("derives independent streams from (seed, index, stream)", () => {
    const seeds = new Set<number>();
    for (let index = 0; index < 100; index++)
      for (let stream = 0; stream < 8; stream++) seeds.add(deriveSeed(7, index, stream));
    expect(seeds.size).toBe(800);
    expect(deriveSeed(7, 1, 2)).toBe(deriveSeed(7, 1, 2));
    expect(deriveSeed(7, 1, 2)).not.toBe(deriveSeed(7, 2, 1));
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).not.toBe(1);
  });

  it("picks by weight, never a zero-weight item", () => {
    const r = new Rng(3);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30_000; i++) {
      const k = r.weighted<"a" | "b" | "c">([
        ["a", 1],
        ["b", 3],
        ["c", 0],
      ]);
      counts[k]++;
    }
    expect(counts.c).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.7);
    expect(counts.b / counts.a).toBeLessThan(3.3);
  });

  it("draws Poisson counts with the requested mean", () => {
    const r = new Rng(5);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += r.poisson(0.8);
    expect(sum / 20_000).toBeCloseTo(0.8, 1);
  });
});
