import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../model/runtime/node.ts";
import { PlainLstm, PlainLstmError } from "./plain-lstm.ts";

const base = join(import.meta.dirname, "..", "..", "..", "model", "artifacts", "downtime-lstm");
const bytes = new Uint8Array(readFileSync(`${base}.onnx`));

/** Deterministic pseudo-random values in [-a, a]. */
function values(n: number, seed: number, a: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * a;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("PlainLstm (plain-TS forward of the ONNX weights)", () => {
  it("matches onnxruntime-web within 1e-5: outputs and carried state, several batches and steps", async () => {
    const { lstm } = await loadModel();
    const plain = PlainLstm.fromOnnx(bytes, {
      nFeatures: lstm.nFeatures,
      nHorizons: lstm.nHorizons,
      nForecast: lstm.nForecast,
    });
    expect([plain.layers, plain.hidden]).toEqual([lstm.layers, lstm.hidden]);
    for (const [batch, steps, seed] of [
      [1, 1, 1],
      [1, 60, 2],
      [3, 25, 3],
    ] as const) {
      const x = values(batch * steps * lstm.nFeatures, seed, 3);
      const n = lstm.layers * batch * lstm.hidden;
      const state = { h: values(n, seed + 10, 0.9), c: values(n, seed + 20, 2) };
      const want = await lstm.run(x, batch, steps, state);
      const got = plain.run(x, batch, steps, state);
      expect(maxAbsDiff(got.riskLogit, want.riskLogit)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got.forecast, want.forecast)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got.state.h, want.state.h)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got.state.c, want.state.c)).toBeLessThan(1e-5);
    }
  });

  it("carries state: 30 one-step calls equal one 30-step call", () => {
    const plain = PlainLstm.fromOnnx(bytes, { nFeatures: 16, nHorizons: 3, nForecast: 4 });
    const x = values(30 * 16, 7, 2);
    const whole = plain.run(x, 1, 30, plain.zeroState());
    let state = plain.zeroState();
    let last: Float32Array = new Float32Array(0);
    for (let t = 0; t < 30; t++) {
      const o = plain.run(x.subarray(t * 16, (t + 1) * 16), 1, 1, state);
      state = o.state;
      last = o.riskLogit;
    }
    expect(maxAbsDiff(state.h, whole.state.h)).toBe(0);
    expect(maxAbsDiff(last, whole.riskLogit.subarray(29 * 3))).toBe(0);
  });

  it("refuses a model it cannot read instead of computing something else", () => {
    expect(() =>
      PlainLstm.fromOnnx(new Uint8Array([0x0a, 0x02, 0x08]), { nFeatures: 16, nHorizons: 3, nForecast: 4 }),
    ).toThrow(PlainLstmError);
    expect(() => PlainLstm.fromOnnx(bytes, { nFeatures: 12, nHorizons: 3, nForecast: 4 })).toThrow(
      /do not chain/,
    );
  });
});
