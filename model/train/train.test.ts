// The training path cannot rot: synthetic dataset → train.py (tiny sizes, two epochs) → calibrated,
// exported artifact that loads and runs in onnxruntime-web with the documented io.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { INPUT_NAMES, LstmModel, OUTPUT_NAMES } from "../core/lstm.ts";

const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";
const HERE = import.meta.dirname;

function probeTorch(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx, numpy"], { encoding: "utf8" });
  if (r.status === 0) return null;
  return `${PYTHON} cannot import torch/onnx/numpy (install: apt-get install python3-torch python3-onnx)`;
}
const skipReason = probeTorch();
if (skipReason) console.warn(`\n[train.test] SKIPPING the training/export smoke test: ${skipReason}\n`);

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args[0]} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const finite = z.number().refine(Number.isFinite, "not finite");
const ReliabilityBin = z.object({
  bin: z.tuple([z.number(), z.number()]),
  count: z.number().int().nonnegative(),
  mean_predicted: z.number().nullable(),
  observed_frequency: z.number().nullable(),
});
const HorizonMetrics = z.object({
  horizon_minutes: z.number(),
  n: z.number().int().positive(),
  positives: z.number().int().nonnegative(),
  auc_pr: z.number().nullable(),
  brier_raw: finite,
  brier_calibrated: finite,
  reliability_calibrated: z.array(ReliabilityBin).length(10),
});
const ArtifactMeta = z.object({
  version: z.string(),
  onnx: z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), opset: z.literal(14) }),
  io: z.object({ input_names: z.array(z.string()), output_names: z.array(z.string()) }),
  horizons_minutes: z.array(z.number()).length(3),
  calibration: z.object({ a: z.array(finite).length(3), b: z.array(finite).length(3) }),
  thresholds: z.object({
    source: z.literal("default"),
    warning: z.object({}).loose(),
    critical: z.object({}).loose(),
  }),
  metrics: z.object({ test: z.object({ horizons: z.array(HorizonMetrics).length(3) }) }).loose(),
  training: z
    .object({ command: z.string(), seed: z.number(), torch_version: z.string(), epochs_run: z.number() })
    .loose(),
  data: z.object({ meta: z.object({ source: z.string() }).loose() }).loose(),
});

const TRAIN_ARGS = [
  "--max_epochs=2",
  "--hidden=8",
  "--layers=1",
  "--chunk=64",
  "--batch_hosts=4",
  "--seed=3",
  "--name=tiny",
];

describe.skipIf(skipReason !== null)(
  `training → calibration → ONNX export${skipReason ? ` [SKIPPED: ${skipReason}]` : ""}`,
  () => {
    let dir = "";
    let stdout = "";

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "lstm-train-"));
      python([
        join(HERE, "synthetic_dataset.py"),
        `--out=${join(dir, "data")}`,
        "--hosts=16",
        "--rows=720",
        "--failures_per_host_day=6",
        "--seed=1",
      ]);
      const args = [`--data=${join(dir, "data")}`, `--ckpt_dir=${join(dir, "ckpt")}`, ...TRAIN_ARGS];
      stdout = python([join(HERE, "train.py"), ...args, `--out=${join(dir, "a")}`]);
      // Same seed and data, second run: the artifact must come out identical.
      python([join(HERE, "train.py"), ...args, `--out=${join(dir, "b")}`]);
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const readRaw = (sub: string): unknown => JSON.parse(readFileSync(join(dir, sub, "tiny.json"), "utf8"));
    const readMeta = (sub: string) => ArtifactMeta.parse(readRaw(sub));

    it("prints per-epoch progress with losses, validation AUC-PR and ETA", () => {
      for (const epoch of [1, 2]) {
        expect(stdout).toMatch(
          new RegExp(`epoch ${epoch}/2 .*train loss \\d+\\.\\d+.*val loss \\d+\\.\\d+.*auc_pr .*ETA`),
        );
      }
      expect(stdout).toMatch(/brier raw [\d.]+ → calibrated [\d.]+/);
    });

    it("writes onnx + metadata whose sha256 matches, and keeps the checkpoint out of the artifact dir", () => {
      const meta = readMeta("a");
      const onnx = readFileSync(join(dir, "a", meta.onnx.file));
      expect(createHash("sha256").update(onnx).digest("hex")).toBe(meta.onnx.sha256);
      expect(meta.version).toContain(meta.onnx.sha256.slice(0, 8));
      expect(existsSync(join(dir, "ckpt", "tiny.pt"))).toBe(true);
      expect(existsSync(join(dir, "a", "tiny.pt"))).toBe(false);
    });

    it("records calibration, test metrics, the command, seed and the dataset meta", () => {
      const meta = readMeta("a");
      expect(meta.training.command).toContain("train.py");
      expect(meta.training.seed).toBe(3);
      expect(meta.training.epochs_run).toBe(2);
      expect(meta.data.meta.source).toContain("synthetic_dataset.py");
      for (const h of meta.metrics.test.horizons) {
        expect(h.reliability_calibrated.reduce((s, b) => s + b.count, 0)).toBe(h.n);
        // Platt scaling is fitted to minimise log-loss, not Brier, but it must not make a
        // pos_weight-inflated model worse than its raw sigmoid on held-out data by much.
        expect(h.brier_calibrated).toBeLessThanOrEqual(h.brier_raw + 0.01);
      }
    });

    it("is reproducible: same seed and data give the same ONNX bytes and calibration", () => {
      const a = readMeta("a");
      const b = readMeta("b");
      expect(b.onnx.sha256).toBe(a.onnx.sha256);
      expect(b.calibration).toEqual(a.calibration);
    });

    it("loads in onnxruntime-web with the documented io names and runs a batch", async () => {
      const meta = readMeta("a");
      expect(meta.io.input_names).toEqual([...INPUT_NAMES]);
      expect(meta.io.output_names).toEqual([...OUTPUT_NAMES]);
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      const model = await LstmModel.create(ort, readFileSync(join(dir, "a", meta.onnx.file)), readRaw("a"));
      try {
        const batch = 2;
        const steps = 7;
        const x = new Float32Array(batch * steps * model.nFeatures).map((_, i) => Math.sin(i) * 0.5);
        const out = await model.run(x, batch, steps, model.zeroState(batch));
        expect(out.riskLogit.length).toBe(batch * steps * 3);
        expect(out.forecast.length).toBe(batch * steps * 4);
        expect(out.state.h.length).toBe(1 * batch * 8);
        for (const v of [...out.riskLogit, ...out.forecast, ...out.state.h, ...out.state.c]) {
          expect(Number.isFinite(v)).toBe(true);
        }
        const p = model.probabilities(out.riskLogit);
        expect(p.every((v) => v > 0 && v < 1)).toBe(true);
      } finally {
        await model.release();
      }
    });
  },
);
