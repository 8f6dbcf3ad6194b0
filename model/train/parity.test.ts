// PyTorch ↔ onnxruntime-web parity: model/train/fixture.py exports a small LSTM and records PyTorch's
// outputs for the call patterns the edge uses; the same calls go through LstmModel here.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { LstmModel, type LstmState } from "../core/lstm.ts";

const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";
const HERE = import.meta.dirname;
const TOLERANCE = 1e-5;

function probeTorch(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
  if (r.status === 0) return null;
  return `${PYTHON} cannot import torch/onnx/numpy (install: apt-get install python3-torch python3-onnx)`;
}
const skipReason = probeTorch();
if (skipReason) console.warn(`\n[parity.test] SKIPPING PyTorch ↔ ONNX parity: ${skipReason}\n`);

const CaseSchema = z.object({
  name: z.string(),
  batch: z.number().int().positive(),
  calls: z.array(z.number().int().positive()),
  x: z.array(z.number()),
  h0: z.array(z.number()),
  c0: z.array(z.number()),
  risk_logit: z.array(z.number()),
  forecast: z.array(z.number()),
  hn: z.array(z.number()),
  cn: z.array(z.number()),
});
const PeekSchema = CaseSchema.omit({ name: true, calls: true });
const FixtureSchema = z.object({
  cases: z.array(CaseSchema).min(1),
  peek: PeekSchema,
  calibrated: z.array(z.number()),
});
type Case = z.infer<typeof CaseSchema>;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Replays a fixture case call by call, carrying state; reassembles [batch, steps, ·] outputs. */
async function replay(model: LstmModel, c: Case) {
  const { nFeatures: F, nHorizons: H, nForecast: C } = model;
  const steps = c.x.length / (c.batch * F);
  const x = Float32Array.from(c.x);
  const risk = new Float32Array(c.batch * steps * H);
  const forecast = new Float32Array(c.batch * steps * C);
  let state: LstmState = { h: Float32Array.from(c.h0), c: Float32Array.from(c.c0) };
  let t0 = 0;
  for (const n of c.calls) {
    const xs = new Float32Array(c.batch * n * F);
    for (let b = 0; b < c.batch; b++) {
      xs.set(x.subarray((b * steps + t0) * F, (b * steps + t0 + n) * F), b * n * F);
    }
    const out = await model.run(xs, c.batch, n, state);
    for (let b = 0; b < c.batch; b++) {
      risk.set(out.riskLogit.subarray(b * n * H, (b + 1) * n * H), (b * steps + t0) * H);
      forecast.set(out.forecast.subarray(b * n * C, (b + 1) * n * C), (b * steps + t0) * C);
    }
    state = out.state;
    t0 += n;
  }
  expect(t0).toBe(steps);
  return { risk, forecast, state };
}

describe.skipIf(skipReason !== null)(
  `PyTorch ↔ onnxruntime-web parity${skipReason ? ` [SKIPPED: ${skipReason}]` : ""}`,
  () => {
    let dir = "";
    let model: LstmModel;
    let fixture: z.infer<typeof FixtureSchema>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "lstm-parity-"));
      const r = spawnSync(PYTHON, [join(HERE, "fixture.py"), "--out", dir], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`fixture.py failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      fixture = FixtureSchema.parse(JSON.parse(readFileSync(join(dir, "fixture.json"), "utf8")));
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      const meta: unknown = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
      model = await LstmModel.create(ort, readFileSync(join(dir, "model.onnx")), meta, {
        peekBytes: readFileSync(join(dir, "model.peek.onnx")),
      });
    });

    afterAll(async () => {
      await model?.release();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("covers one call, one step per call, 10 steps per call and batch 3 with carried state", () => {
      const names = fixture.cases.map((c) => `${c.batch}:${c.calls.length}`);
      expect(names).toEqual(["1:1", "1:60", "1:6", "3:2"]);
    });

    for (const name of [
      "one call",
      "one step per call",
      "10 steps per call",
      "batch 3, carried non-zero state",
    ]) {
      it(`matches PyTorch within ${TOLERANCE}: ${name}`, async () => {
        const c = fixture.cases.find((k) => k.name === name);
        if (!c) throw new Error(`fixture lacks case ${name}`);
        const got = await replay(model, c);
        const diffs = {
          risk_logit: maxAbsDiff(got.risk, c.risk_logit),
          forecast: maxAbsDiff(got.forecast, c.forecast),
          hn: maxAbsDiff(got.state.h, c.hn),
          cn: maxAbsDiff(got.state.c, c.cn),
        };
        console.log(`[parity] ${name}: max |ORT − PyTorch| ${JSON.stringify(diffs)}`);
        for (const d of Object.values(diffs)) expect(d).toBeLessThanOrEqual(TOLERANCE);
        // Guard against a vacuous pass: the model must actually produce varying outputs.
        expect(maxAbsDiff(got.risk, new Float32Array(got.risk.length))).toBeGreaterThan(1e-3);
      });
    }

    it(`commit-and-peek graph matches PyTorch within ${TOLERANCE} (batch 3, the last row open)`, async () => {
      const p = fixture.peek;
      const steps = p.x.length / (p.batch * model.nFeatures);
      const out = await model.runCommitAndPeek(Float32Array.from(p.x), p.batch, steps, {
        h: Float32Array.from(p.h0),
        c: Float32Array.from(p.c0),
      });
      const diffs = {
        risk_logit: maxAbsDiff(out.riskLogit, p.risk_logit),
        forecast: maxAbsDiff(out.forecast, p.forecast),
        hn: maxAbsDiff(out.state.h, p.hn),
        cn: maxAbsDiff(out.state.c, p.cn),
      };
      console.log(`[parity] commit-and-peek: max |ORT − PyTorch| ${JSON.stringify(diffs)}`);
      for (const d of Object.values(diffs)) expect(d).toBeLessThanOrEqual(TOLERANCE);
      // The state is the one after the committed rows, not after the open one: it differs from the
      // plain graph's state after all rows.
      const all = await model.run(Float32Array.from(p.x), p.batch, steps, {
        h: Float32Array.from(p.h0),
        c: Float32Array.from(p.c0),
      });
      expect(maxAbsDiff(all.state.h, out.state.h)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(all.riskLogit, out.riskLogit)).toBeLessThanOrEqual(TOLERANCE);
    });

    it("applies the metadata's Platt calibration like PyTorch", async () => {
      const c = fixture.cases[0]!;
      const got = await replay(model, c);
      expect(maxAbsDiff(model.probabilities(got.risk), fixture.calibrated)).toBeLessThanOrEqual(TOLERANCE);
    });
  },
);
