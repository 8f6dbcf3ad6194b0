/**
 * `bench:nab --cv`: cross-validation by file. Each (configuration, file) is run once and its scores
 * cached in memory; folds, configuration and threshold choices are then bookkeeping over the cache
 * (model/nab/cv.ts). With `ablate`, `grid[0]` is also cross-validated with one parameter changed at a
 * time (threshold chosen by CV as well).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CrossValidator,
  PROFILE_NAMES,
  assignFolds,
  type CvProfileResult,
  type InSampleResult,
  type ProfileName,
} from "../../model/nab/index.ts";
import { DETECTORS, type DetectorSpec, type Params } from "./nab-detectors.ts";
import { NabFileError } from "./nab-io.ts";
import { loadNabCorpus, runDetector, type NabLog } from "./nab-run.ts";

export interface NabCvOptions {
  dataDir: string;
  labelsPath: string;
  outDir: string;
  detector: string;
  /** Folds (k-fold by file); 0 or ≥ the number of files = leave-one-file-out. */
  folds: number;
  seed: number;
  /** Repetitions of k-fold with seeds seed, seed + 1, …; figures are their mean (1 for leave-one-out). */
  repeats: number;
  ablate: boolean;
}

type Triple = Record<ProfileName, number | null>;

/** A CV figure over the repetitions: mean, lowest and highest, per profile. */
export interface Spread {
  mean: Triple;
  min: Triple;
  max: Triple;
  /** One per repetition (seed order). */
  runs: Triple[];
}

function spread(runs: Triple[]): Spread {
  const agg = (fn: (xs: number[]) => number): Triple =>
    Object.fromEntries(
      PROFILE_NAMES.map((p) => {
        const xs = runs.map((r) => r[p]);
        return [p, xs.some((x) => x === null) ? null : fn(xs as number[])];
      }),
    ) as Triple;
  return {
    mean: agg((xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
    min: agg((xs) => Math.min(...xs)),
    max: agg((xs) => Math.max(...xs)),
    runs,
  };
}

export interface AblationRow {
  param: string;
  /** The default value and the alternative tried. */
  from: Params[string];
  to: Params[string];
  cv: Spread;
  inSample: Triple;
}

export interface NabCvResult {
  detector: string;
  files: number;
  rows: number;
  folds: number;
  seed: number;
  /** Seeds used (one per repetition). */
  seeds: number[];
  grid: Params[];
  /** Headline: configuration and thresholds chosen on the training folds, scored on the held-out. */
  cvGrid: Spread;
  /** grid[0] with only the thresholds cross-validated. */
  cvDefault: Spread;
  /** The first repetition in detail (fold choices, per-file scores). */
  cv: CvProfileResult[];
  /** grid[0], thresholds optimised on all files (NAB's usual, in-sample figure). */
  inSampleDefault: InSampleResult;
  /** Best grid configuration per profile, thresholds on all files (in-sample, for comparison). */
  inSampleBest: Triple;
  /** grid[0]'s rows scoring exactly 1 / exactly 0 (over all rows). */
  ties: { rows: number; ones: number; zeros: number; distinct: number };
  ablations: AblationRow[];
  /**
   * With ablate: CV when each fold chooses among grid[0] and every ablation variant (what tuning the
   * constants one at a time on the training folds would give), or null without ablate.
   */
  cvNeighbourhood: Spread | null;
  jsonPath: string;
  markdownPath: string;
}

const keyOf = (p: Params): string => JSON.stringify(Object.entries(p).sort(([a], [b]) => a.localeCompare(b)));

const triple = (rs: { profile: ProfileName; normalisedScore: number | null }[]): Triple =>
  Object.fromEntries(rs.map((r) => [r.profile, r.normalisedScore])) as Triple;

export async function runNabCv(opts: NabCvOptions, log: NabLog): Promise<NabCvResult> {
  const load = DETECTORS[opts.detector];
  if (load === undefined)
    throw new Error(`unknown detector "${opts.detector}" (known: ${Object.keys(DETECTORS).join(", ")})`);
  const spec: DetectorSpec = await load();
  if (spec.grid.length === 0) throw new Error(`detector "${opts.detector}" has an empty grid`);
  const corpus = loadNabCorpus(opts.dataDir, opts.labelsPath, log);
  if (corpus.names.length < 2) {
    throw new NabFileError(
      "too_few_files",
      `--cv needs at least 2 files to score (one to train on, one held out); ${opts.dataDir} has ` +
        `${corpus.names.length} with rows and a key in ${opts.labelsPath}: run without --cv`,
    );
  }
  const base = spec.grid[0] as Params;

  // Every configuration to run: the grid, then (with ablate) grid[0] with one parameter changed.
  const configs: Params[] = [];
  const index = new Map<string, number>();
  const add = (p: Params): number => {
    const k = keyOf(p);
    const known = index.get(k);
    if (known !== undefined) return known;
    configs.push(p);
    index.set(k, configs.length - 1);
    return configs.length - 1;
  };
  const gridIdx = spec.grid.map(add);
  const variants: { param: string; from: Params[string]; to: Params[string]; config: number }[] = [];
  if (opts.ablate) {
    for (const [param, values] of Object.entries(spec.ablations ?? {})) {
      if (!Object.hasOwn(base, param)) throw new Error(`ablation of unknown parameter "${param}"`);
      for (const to of values ?? []) {
        variants.push({
          param,
          from: base[param] as Params[string],
          to,
          config: add({ ...base, [param]: to }),
        });
      }
    }
  }

  // Run each configuration over each file once.
  const scores: Float64Array[][] = [];
  const started = performance.now();
  for (const [c, params] of configs.entries()) {
    const t0 = performance.now();
    scores.push(
      corpus.data.map((file) =>
        runDetector(spec.create(params), file, `"${opts.detector}" ${keyOf(params)}`),
      ),
    );
    const elapsed = (performance.now() - started) / 1000;
    const eta = (elapsed / (c + 1)) * (configs.length - c - 1);
    log.progress(
      `[${c + 1}/${configs.length}] ${corpus.names.length} files, ${corpus.rows} rows in ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s (≈ ${eta.toFixed(0)} s left)`,
    );
  }

  const t1 = performance.now();
  const cv = new CrossValidator({ names: corpus.names, windows: corpus.windows, scores });
  const loo = opts.folds <= 0 || opts.folds >= corpus.names.length;
  // Leave-one-file-out does not depend on the seed: one repetition.
  const seeds = Array.from({ length: loo ? 1 : Math.max(1, opts.repeats) }, (_, i) => opts.seed + i);
  const foldsBySeed = seeds.map((seed) => assignFolds(corpus.names, opts.folds, seed));
  const folds = foldsBySeed[0] as number[];
  const nFolds = new Set(folds).size;
  const headline = cv.crossValidate(folds, gridIdx);
  // Report choices as positions in the grid (not indices among all configurations run).
  for (const p of headline) {
    for (const c of p.choices) c.config = gridIdx.indexOf(c.config);
    for (const f of p.files) f.config = gridIdx.indexOf(f.config);
  }
  const cvOver = (grid: number[]): Spread =>
    spread(foldsBySeed.map((f) => triple(cv.crossValidate(f, grid))));
  const cvGrid = cvOver(gridIdx);
  const cvDefault = cvOver([gridIdx[0] as number]);
  const inSample = cv.inSample(gridIdx);
  const inSampleDefault = inSample[0] as InSampleResult;
  const inSampleBest = Object.fromEntries(
    PROFILE_NAMES.map((p, i) => [
      p,
      // Null (as for each configuration) when no file has a window: nothing to normalise against.
      inSample.reduce<number | null>((best, r) => {
        const x = r.profiles[i]?.normalisedScore ?? null;
        return x === null ? best : best === null ? x : Math.max(best, x);
      }, null),
    ]),
  ) as Triple;
  const cvNeighbourhood =
    variants.length > 0 ? cvOver([gridIdx[0] as number, ...new Set(variants.map((v) => v.config))]) : null;
  const ablations: AblationRow[] = variants.map((v) => ({
    param: v.param,
    from: v.from,
    to: v.to,
    cv: cvOver([v.config]),
    inSample: triple((cv.inSample([v.config])[0] as InSampleResult).profiles),
  }));
  log.progress(
    `cross-validated ${configs.length} configuration(s), ${seeds.length} × ${nFolds} folds, in ${((performance.now() - t1) / 1000).toFixed(2)} s`,
  );

  const ties = { rows: 0, ones: 0, zeros: 0, distinct: 0 };
  const seen = new Set<number>();
  for (const s of scores[gridIdx[0] as number] ?? []) {
    for (const x of s) {
      ties.rows++;
      if (x === 1) ties.ones++;
      if (x === 0) ties.zeros++;
      seen.add(x);
    }
  }
  ties.distinct = seen.size;

  mkdirSync(opts.outDir, { recursive: true });
  const jsonPath = join(opts.outDir, `${opts.detector}_cv.json`);
  const markdownPath = join(opts.outDir, `${opts.detector}_cv.md`);
  const result: NabCvResult = {
    detector: opts.detector,
    files: corpus.names.length,
    rows: corpus.rows,
    folds: nFolds,
    seed: opts.seed,
    seeds,
    grid: gridIdx.map((i) => configs[i] as Params),
    cvGrid,
    cvDefault,
    cv: headline,
    inSampleDefault,
    inSampleBest,
    ties,
    ablations,
    cvNeighbourhood,
    jsonPath,
    markdownPath,
  };
  const meta = { dataDir: opts.dataDir, labelsPath: opts.labelsPath };
  writeFileSync(jsonPath, JSON.stringify(cvJson(result, meta), null, 2) + "\n");
  writeFileSync(markdownPath, cvMarkdown(result, meta));
  if (opts.ablate) {
    const base = join(opts.outDir, `${opts.detector}_ablation`);
    writeFileSync(
      `${base}.json`,
      JSON.stringify(
        { detector: result.detector, folds: nFolds, seeds, cvNeighbourhood, ablations },
        null,
        2,
      ) + "\n",
    );
    writeFileSync(`${base}.md`, ablationMarkdown(result, meta));
    log.info(`wrote ${base}.json and ${base}.md`);
  }
  for (const line of cvTable(result)) log.info(line);
  log.info(`wrote ${jsonPath} and ${markdownPath}`);
  return result;
}

const f2 = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : x.toFixed(2));
const fmtValue = (v: Params[string]): string =>
  typeof v === "number" ? String(Number(v.toPrecision(6))) : String(v);

/** "74.92" for one repetition, "74.92 (72.00–74.92)" over several. */
function fs(sp: Spread, p: ProfileName): string {
  const lo = sp.min[p];
  const hi = sp.max[p];
  return sp.runs.length > 1 && lo !== hi ? `${f2(sp.mean[p])} (${f2(lo)}–${f2(hi)})` : f2(sp.mean[p]);
}

/** How the folds were made, in words. */
function protocol(r: NabCvResult, brackets = true): string {
  return r.folds === r.files
    ? "leave-one-file-out"
    : `${r.folds}-fold by file` +
        (r.seeds.length > 1
          ? `, mean of ${r.seeds.length} repetitions (seeds ${r.seeds[0]}–${r.seeds[r.seeds.length - 1]}${brackets ? "; lowest–highest in brackets" : ""})`
          : `, seed ${r.seed}`);
}

/** The command that reproduces the run. */
export function cvCommand(r: NabCvResult, ablate: boolean): string {
  const folds = r.folds === r.files ? " --folds 0" : r.folds === 6 ? "" : ` --folds ${r.folds}`;
  const seed = r.seed === 1 ? "" : ` --seed ${r.seed}`;
  const repeats = r.folds === r.files || r.seeds.length === 5 ? "" : ` --repeats ${r.seeds.length}`;
  return `npm run bench:nab -- --cv${ablate ? " --ablate" : ""}${folds}${seed}${repeats}`;
}

function cvJson(r: NabCvResult, meta: object): unknown {
  return {
    detector: r.detector,
    mode: "cv",
    ...meta,
    scorer: "NAB v1.1 sweeper, re-implemented in model/nab; CV bookkeeping in model/nab/cv.ts",
    files: r.files,
    rows: r.rows,
    folds: r.folds,
    seeds: r.seeds,
    grid: r.grid,
    cvGrid: r.cvGrid,
    cvDefault: r.cvDefault,
    inSampleDefault: r.inSampleDefault.profiles,
    inSampleBest: r.inSampleBest,
    firstRepetition: r.cv.map((p) => ({
      profile: p.profile,
      normalisedScore: p.normalisedScore,
      rawScore: p.rawScore,
      nullScore: p.nullScore,
      perfectScore: p.perfectScore,
      windows: p.windows,
      windowsDetected: p.windowsDetected,
      rowCounts: p.counts,
      choices: p.choices,
    })),
    ties: r.ties,
  };
}

export function cvTable(r: NabCvResult): string[] {
  const lines = [
    `NAB cross-validation for detector "${r.detector}" (${r.files} files, ${protocol(r)}, grid of ${r.grid.length})`,
    `${"".padEnd(34)} ${PROFILE_NAMES.map((p) => p.padStart(22)).join(" ")}`,
  ];
  const row = (name: string, cell: (p: ProfileName) => string): string =>
    `${name.padEnd(34)} ${PROFILE_NAMES.map((p) => cell(p).padStart(22)).join(" ")}`;
  lines.push(row("CV (grid + thresholds)", (p) => fs(r.cvGrid, p)));
  lines.push(row("CV (default, thresholds only)", (p) => fs(r.cvDefault, p)));
  const inDef = triple(r.inSampleDefault.profiles);
  lines.push(row("in-sample (default)", (p) => f2(inDef[p])));
  lines.push(row("in-sample (best of grid)", (p) => f2(r.inSampleBest[p])));
  lines.push(
    `default config: ${r.ties.ones} of ${r.ties.rows} rows score exactly 1, ${r.ties.zeros} exactly 0 (${r.ties.distinct} distinct values)`,
  );
  if (r.cvNeighbourhood !== null) {
    lines.push(
      `CV choosing among the default and all ${r.ablations.length} single changes: ${PROFILE_NAMES.map((p) => fs(r.cvNeighbourhood as Spread, p)).join(" / ")}`,
    );
  }
  if (r.ablations.length > 0) {
    lines.push(
      `ablations (CV standard / low-FP / low-FN; default ${PROFILE_NAMES.map((p) => f2(r.cvDefault.mean[p])).join(" / ")}):`,
    );
    for (const a of r.ablations) {
      lines.push(
        `  ${a.param} ${fmtValue(a.from)} → ${fmtValue(a.to)}: ${PROFILE_NAMES.map((p) => f2(a.cv.mean[p])).join(" / ")}  (in-sample ${f2(a.inSample.standard)})`,
      );
    }
  }
  return lines;
}

function cvMarkdown(r: NabCvResult, meta: { dataDir: string; labelsPath: string }): string {
  const std = r.cv.find((p) => p.profile === "standard");
  const gridDesc = r.grid.map((g, i) => {
    const changed = Object.entries(g).filter(([k, v]) => (r.grid[0] as Params)[k] !== v);
    return `${i}: ${i === 0 ? "defaults" : changed.map(([k, v]) => `${k} ${fmtValue(v)}`).join(", ")}`;
  });
  const inDef = triple(r.inSampleDefault.profiles);
  const out = [
    `# NAB cross-validation: ${r.detector}`,
    "",
    `\`${cvCommand(r, false)}\``,
    "",
    `Data \`${meta.dataDir}\` (${r.files} files, ${r.rows} rows), labels \`${meta.labelsPath}\`. ` +
      `Folds: ${protocol(r)}; categories are dealt round-robin so every fold mixes them. For each fold the ` +
      `configuration and each profile's threshold are chosen on the other folds' files (NAB's optimiser), then ` +
      `applied unchanged to the fold's own files; all held-out files are then scored together (NAB raw score = ` +
      `sum of the per-file scores, normalised with the same null / perfect baselines as in-sample). ` +
      `Grid: ${gridDesc.join("; ")}.`,
    "",
    "## Scores",
    "",
    "| | standard | reward low FP | reward low FN |",
    "| --- | ---: | ---: | ---: |",
    `| **CV** (configuration + thresholds chosen per fold) | ${PROFILE_NAMES.map((p) => `**${fs(r.cvGrid, p)}**`).join(" | ")} |`,
    `| CV, default configuration (thresholds only) | ${PROFILE_NAMES.map((p) => fs(r.cvDefault, p)).join(" | ")} |`,
    `| in-sample, default configuration | ${PROFILE_NAMES.map((p) => f2(inDef[p])).join(" | ")} |`,
    `| in-sample, best grid configuration per profile | ${PROFILE_NAMES.map((p) => f2(r.inSampleBest[p])).join(" | ")} |`,
    "",
    `Default configuration: ${r.ties.ones} of ${r.ties.rows} rows score exactly 1 and ${r.ties.zeros} exactly 0 ` +
      `(${r.ties.distinct} distinct values).`,
    "",
    `## Fold choices (standard, seed ${r.seed})`,
    "",
    std === undefined
      ? ""
      : `${std.windowsDetected}/${std.windows} windows detected, ${std.counts.fp} false-positive rows, normalised ${f2(std.normalisedScore)}.`,
    "",
    "| fold | files held out | grid configuration | threshold | training raw score |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...(std?.choices ?? []).map(
      (c) =>
        `| ${c.fold} | ${c.heldOut.length} | ${c.config} | ${Number(c.threshold.toPrecision(6))} | ${c.trainScore.toFixed(3)} |`,
    ),
    "",
  ];
  return out.join("\n");
}

/** The ablation page (written only with --ablate). */
function ablationMarkdown(r: NabCvResult, meta: { dataDir: string; labelsPath: string }): string {
  const inDef = triple(r.inSampleDefault.profiles);
  return [
    `# NAB ablations: ${r.detector}`,
    "",
    `\`${cvCommand(r, true)}\``,
    "",
    `Data \`${meta.dataDir}\` (${r.files} files), labels \`${meta.labelsPath}\`; folds: ${protocol(r, false)}. ` +
      `The default configuration with one constant changed at a time; each profile's threshold chosen by the same CV ` +
      `(mean over the repetitions). Default: CV ${PROFILE_NAMES.map((p) => f2(r.cvDefault.mean[p])).join(" / ")}, ` +
      `in-sample ${PROFILE_NAMES.map((p) => f2(inDef[p])).join(" / ")} (standard / low FP / low FN).`,
    "",
    ...(r.cvNeighbourhood === null
      ? []
      : [
          `Choosing per fold among the default and all ${r.ablations.length} single changes below (tuning the ` +
            `constants on the training folds): CV ${PROFILE_NAMES.map((p) => fs(r.cvNeighbourhood as Spread, p)).join(" / ")}.`,
          "",
        ]),
    "| constant | default | alternative | CV standard | CV low FP | CV low FN | in-sample standard |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.ablations.map(
      (a) =>
        `| ${a.param} | ${fmtValue(a.from)} | ${fmtValue(a.to)} | ${f2(a.cv.mean.standard)} | ${f2(a.cv.mean.reward_low_FP_rate)} | ${f2(a.cv.mean.reward_low_FN_rate)} | ${f2(a.inSample.standard)} |`,
    ),
    "",
  ].join("\n");
}
