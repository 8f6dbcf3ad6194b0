/**
 * `bench:nab --cv` on a small NAB-layout corpus generated here (no NAB data needed): folds partition
 * the files, each fold's choices ignore the held-out files' labels, results are deterministic, and the
 * CLI prints and writes the CV table.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runNabCv, type NabCvOptions } from "./nab-cv.ts";
import { EDGE_DEFAULTS, edgeSpec } from "./nab-edge.ts";
import type { NabLog } from "./nab-run.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const root = mkdtempSync(join(tmpdir(), "nab-cv-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet: NabLog = { info: () => {}, progress: () => {}, warn: () => {} };

const STEP = 5 * 60_000;
const T0 = Date.UTC(2015, 3, 1);
const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/**
 * Eight files in two categories, 1400 rows of a daily wave with deterministic jitter; six have a
 * spike (of a different size each) labelled by a window around it, two have no anomaly.
 */
function writeCorpus(dir: string, relabel?: { file: string; row: number }): { data: string; labels: string } {
  const data = join(dir, "data");
  const labels: Record<string, [string, string][]> = {};
  for (let f = 0; f < 8; f++) {
    const name = `${f % 2 === 0 ? "synthA" : "synthB"}/series_${f}.csv`;
    const n = 1400;
    const spikeAt = f < 6 ? 700 + 60 * f : -1;
    const lines = ["timestamp,value"];
    for (let i = 0; i < n; i++) {
      const base = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + (((i + 31 * f) * 7919) % 17) / 17;
      const v = i === spikeAt || i === spikeAt + 1 ? base + 8 + 6 * f : base;
      lines.push(`${stamp(T0 + i * STEP)},${v.toFixed(3)}`);
    }
    mkdirSync(join(data, dirname(name)), { recursive: true });
    writeFileSync(join(data, name), lines.join("\n") + "\n");
    const at = relabel?.file === name ? relabel.row : spikeAt;
    labels[name] =
      at < 0 ? [] : [[`${stamp(T0 + (at - 35) * STEP)}.000000`, `${stamp(T0 + (at + 35) * STEP)}.000000`]];
  }
  const labelsPath = join(dir, "labels.json");
  writeFileSync(labelsPath, JSON.stringify(labels));
  return { data, labels: labelsPath };
}

const opts = (dir: string, paths: { data: string; labels: string }): NabCvOptions => ({
  dataDir: paths.data,
  labelsPath: paths.labels,
  outDir: join(dir, "out"),
  detector: "edge",
  folds: 4,
  seed: 1,
  repeats: 2,
  ablate: false,
});

describe("bench:nab --cv on a generated corpus", () => {
  const dirA = join(root, "a");
  const dirB = join(root, "b");
  const dirC = join(root, "c");

  it("partitions the files into folds, scores every file once, and is deterministic", async () => {
    const a = await runNabCv(opts(dirA, writeCorpus(dirA)), quiet);
    const b = await runNabCv(opts(dirB, writeCorpus(dirB)), quiet);
    expect(a.folds).toBe(4);
    for (const p of a.cv) {
      const heldOut = p.choices.flatMap((c) => c.heldOut);
      expect(heldOut.sort()).toEqual(p.files.map((f) => f.name).sort());
      expect(new Set(heldOut).size).toBe(8);
      expect(p.choices).toHaveLength(4);
    }
    const strip = (r: typeof a) => ({ ...r, jsonPath: "", markdownPath: "" });
    expect(strip(b)).toEqual(strip(a));
    // The default configuration's in-sample score is what a plain run reports; CV cannot beat the
    // best in-sample configuration per profile.
    for (const p of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const) {
      const cv = a.cv.find((x) => x.profile === p)!.normalisedScore!;
      expect(cv).toBeLessThanOrEqual(a.inSampleBest[p]! + 1e-9);
      // The first repetition is the detailed one; the spread covers both.
      expect(a.cvGrid.runs[0]![p]).toBe(cv);
      expect(a.cvGrid.runs).toHaveLength(2);
      expect(a.cvGrid.min[p]!).toBeLessThanOrEqual(a.cvGrid.mean[p]!);
      expect(a.cvGrid.max[p]!).toBeGreaterThanOrEqual(a.cvGrid.mean[p]!);
    }
    const json = JSON.parse(readFileSync(a.jsonPath, "utf8")) as { mode: string; folds: number };
    expect(json).toMatchObject({ mode: "cv", folds: 4, files: 8 });
    expect(readFileSync(a.markdownPath, "utf8")).toContain(
      "| **CV** (configuration + thresholds chosen per fold) |",
    );
  });

  it("moving a held-out file's label window changes nothing chosen for its fold", async () => {
    const a = await runNabCv(opts(dirA, writeCorpus(dirA)), quiet);
    const file = "synthA/series_0.csv";
    const c = await runNabCv(opts(dirC, writeCorpus(dirC, { file, row: 300 })), quiet);
    for (const [i, p] of a.cv.entries()) {
      const before = p.choices.find((x) => x.heldOut.includes(file))!;
      const after = c.cv[i]!.choices.find((x) => x.heldOut.includes(file))!;
      expect(after.config).toBe(before.config);
      expect(after.threshold).toBe(before.threshold);
      expect(after.trainScore).toBeCloseTo(before.trainScore, 12);
    }
    // The file itself is scored against its new labels: the spike is now outside its window.
    const std = (r: typeof a) => r.cv[0]!.files.find((f) => f.name === file)!;
    expect(std(c).windowsDetected).toBe(0);
    expect(std(a).windowsDetected).toBe(1);
  });

  it("--ablate cross-validates the defaults with one constant changed at a time", async () => {
    const dir = join(root, "abl");
    const r = await runNabCv({ ...opts(dir, writeCorpus(dir)), ablate: true }, quiet);
    const expected = Object.entries(edgeSpec.ablations ?? {}).flatMap(([param, values]) =>
      (values ?? []).map((to) => [param, to]),
    );
    expect(r.ablations.map((a) => [a.param, a.to])).toEqual(expected);
    for (const a of r.ablations) expect(a.from).toBe(EDGE_DEFAULTS[a.param as keyof typeof EDGE_DEFAULTS]);
    // Choosing among all of them per fold is reported too (one figure per repetition).
    expect(r.cvNeighbourhood?.runs).toHaveLength(2);
    expect(readFileSync(join(dir, "out", "edge_ablation.md"), "utf8")).toContain("single changes below");
    // Switching a channel off changes what is detected on this corpus.
    const off = r.ablations.find((x) => x.param === "noveltyChannel" && x.to === false)!;
    expect(off.cv.mean.standard).not.toBeCloseTo(r.cvDefault.mean.standard!, 6);
  });

  it("CLI: --cv prints the CV beside in-sample; --ablate without --cv is refused", () => {
    const dir = join(root, "cli");
    const paths = writeCorpus(dir);
    const cli = (args: string[]) =>
      spawnSync(
        process.execPath,
        [join(ROOT, "node_modules/tsx/dist/cli.mjs"), "scripts/bench/nab.ts", ...args],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      );
    const r = cli([
      "--cv",
      "--folds",
      "4",
      "--data",
      paths.data,
      "--labels",
      paths.labels,
      "--out",
      join(dir, "out"),
    ]);
    expect(r.stderr).toContain("[1/");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^CV \(grid \+ thresholds\) +-?\d+\.\d\d/m);
    expect(r.stdout).toMatch(/^in-sample \(default\) +-?\d+\.\d\d/m);
    const bad = cli(["--ablate", "--data", paths.data, "--labels", paths.labels]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("go with --cv");
  });
});
