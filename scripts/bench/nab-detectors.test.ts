/**
 * Every registered `bench:nab` detector honours the registry's contract (nab-detectors.ts): a
 * non-empty grid whose configurations are distinct, ablations only of parameters of grid[0], and a
 * fresh detector per file that returns one score in 0..1 per row, deterministically.
 */
import { describe, expect, it } from "vitest";
import { DETECTORS, type Params } from "./nab-detectors.ts";

const MIN5 = 5 * 60_000;
const T0 = Date.UTC(2015, 0, 1);
/** 600 rows of a daily wave with jitter, a spike, a level shift and a NaN (missing) cell. */
const rows = Array.from({ length: 600 }, (_, i) => {
  const base = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 13;
  const v = i === 400 ? base + 60 : i >= 500 ? base + 25 : i === 450 ? Number.NaN : base;
  return [T0 + i * MIN5, v] as const;
});

describe.each(Object.keys(DETECTORS))("registered detector %s", (name) => {
  it("has a usable grid and ablations of grid[0]'s parameters", async () => {
    const spec = await DETECTORS[name]!();
    expect(spec.grid.length).toBeGreaterThan(0);
    expect(spec.grid.length).toBeLessThanOrEqual(16);
    const keys = spec.grid.map((g) => JSON.stringify(Object.entries(g).sort()));
    expect(new Set(keys).size).toBe(keys.length);
    const base = spec.grid[0] as Params;
    for (const [param, values] of Object.entries(spec.ablations ?? {})) {
      expect(Object.hasOwn(base, param), `ablation of unknown parameter ${param}`).toBe(true);
      for (const v of values ?? [])
        expect(v, `${param}: ablation equal to the default`).not.toBe(base[param]);
    }
  });

  it("scores every row in 0..1, the same way twice, for each grid configuration", async () => {
    const spec = await DETECTORS[name]!();
    for (const params of spec.grid) {
      const run = (): number[] => {
        const d = spec.create(params);
        return rows.map(([t, v]) => d.update(t, v));
      };
      const a = run();
      const bad = a.findIndex((s) => !(typeof s === "number" && s >= 0 && s <= 1));
      expect(bad, `${JSON.stringify(params)} row ${bad}: ${a[bad]}`).toBe(-1);
      expect(run()).toEqual(a);
    }
  });
});
