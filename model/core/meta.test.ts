import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "./features.ts";
import { ModelMetaError, alertPolicy, parseModelMeta } from "./meta.ts";

const base = new URL("../artifacts/downtime-lstm", import.meta.url).pathname;
const raw = JSON.parse(readFileSync(`${base}.json`, "utf8")) as Record<string, unknown>;

describe("committed model artifact", () => {
  it("matches this scoring core and its own checksum", () => {
    const meta = parseModelMeta(raw);
    expect(meta.feature_names).toEqual(FEATURE_NAMES);
    const onnx = raw.onnx as { sha256: string };
    expect(
      createHash("sha256")
        .update(readFileSync(`${base}.onnx`))
        .digest("hex"),
    ).toBe(onnx.sha256);
    const peek = raw.onnx_peek as { file: string; sha256: string };
    expect(peek.file).toBe("downtime-lstm.peek.onnx");
    expect(
      createHash("sha256")
        .update(readFileSync(new URL(`../artifacts/${peek.file}`, import.meta.url)))
        .digest("hex"),
    ).toBe(peek.sha256);
  });

  it("records how it was made: command, seed, data and tuned thresholds", () => {
    const training = raw.training as Record<string, unknown>;
    expect(JSON.stringify(training)).toContain("seed");
    const data = raw.data as { meta: { command: string; data: { simulator: { seed: number } } } };
    expect(data.meta.command).toMatch(/^npm run train/);
    expect(typeof data.meta.data.simulator.seed).toBe("number");
    const meta = parseModelMeta(raw);
    expect(meta.thresholds.source).toMatch(/^tuned/);
    const policy = alertPolicy(meta);
    expect(policy.warning.exit).toBeLessThan(policy.warning.enter);
  });
});

describe("parseModelMeta", () => {
  it("names the offending field", () => {
    expect(() => parseModelMeta({ ...raw, step_seconds: -1 })).toThrow(/step_seconds/);
    expect(() => parseModelMeta({ ...raw, feature_names: ["a"] })).toThrow(ModelMetaError);
    expect(() => parseModelMeta({ ...raw, calibration: { a: [1], b: [0] } })).toThrow(/calibration/);
    const t = raw.thresholds as Record<string, Record<string, unknown>>;
    expect(() =>
      parseModelMeta({ ...raw, thresholds: { ...t, warning: { ...t.warning, horizon_minutes: 7 } } }),
    ).toThrow(/thresholds.warning.horizon_minutes/);
  });
});
