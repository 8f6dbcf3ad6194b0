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
import { loadNabCorpus, runDetector, type NabLog } from "./nab-run.ts";

export interface NabCvOptions {
  dataDir: string;
  labelsPath: string;
  outDir: string;
  detector: string;
  /** Folds (k-fold by file); 0 or ≥ the number of files = leave-one-file-out. */
  folds: number;
  seed: number;
  ablate: boolean;
}

type Triple = Record<ProfileName, number | null>;

export interface AblationRow {
  param: string;
  /** The default value and the alternative tried. */
  from: Params[string];
  to: Params[string];
  cv: Triple;
  inSample: Triple;
}

export interface NabCvResult {
  detector: string;
  files: number;
  rows: number;
  folds: number;
  seed: number;
  grid: Params[];
  /** Headline: configuration and thresholds chosen on the training folds, scored on the held-out. */
  cv: CvProfileResult[];
  /** grid[0] with only the thresholds cross-validated. */
  cvDefault: CvProfileResult[];
  /** grid[0], thresholds optimised on all files (NAB's usual, in-sample figure). */
  inSampleDefault: InSampleResult;
  /** Best grid configuration per profile, thresholds on all files (in-sample, for comparison). */
  inSampleBest: Triple;
  /** grid[0]'s rows scoring exactly 1 / exactly 0 (over all rows). */
  ties: { rows: number; ones: number; zeros: number; distinct: number };
  ablations: AblationRow[];
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
  const folds = assignFolds(corpus.names, opts.folds, opts.seed);
  const nFolds = new Set(folds).size;
  const headline = cv.crossValidate(folds, gridIdx);
  // Report choices as positions in the grid (not indices among all configurations run).
  for (const p of headline) {
    for (const c of p.choices) c.config = gridIdx.indexOf(c.config);
    for (const f of p.files) f.config = gridIdx.indexOf(f.config);
  }
  const cvDefault = cv.crossValidate(folds, [gridIdx[0] as number]);
  const inSample = cv.inSample(gridIdx);
  const inSampleDefault = inSample[0] as InSampleResult;
  const inSampleBest = Object.fromEntries(
    PROFILE_NAMES.map((p, i) => [
      p,
      Math.max(...inSample.map((r) => r.profiles[i]?.normalisedScore ?? Number.NEGATIVE_INFINITY)),
    ]),
  ) as Triple;
  const ablations: AblationRow[] = variants.map((v) => ({
    param: v.param,
    from: v.from,
    to: v.to,
    cv: triple(cv.crossValidate(folds, [v.config])),
    inSample: triple((cv.inSample([v.config])[0] as InSampleResult).profiles),
  }));
  log.progress(
    `cross-validated ${configs.length} configuration(s) over ${nFolds} folds in ${((performance.now() - t1) / 1000).toFixed(2)} s`,
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
    grid: gridIdx.map((i) => configs[i] as Params),
    cv: headline,
    cvDefault,
    inSampleDefault,
    inSampleBest,
    ties,
    ablations,
    jsonPath,
    markdownPath,
  };
  const meta = { dataDir: opts.dataDir, labelsPath: opts.labelsPath, ablate: opts.ablate };
  writeFileSync(jsonPath, JSON.stringify(cvJson(result, meta), null, 2) + "\n");
  writeFileSync(markdownPath, cvMarkdown(result, meta));
  for (const line of cvTable(result)) log.info(line);
  log.info(`wrote ${jsonPath} and ${markdownPath}`);
  return result;
}

const f2 = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : x.toFixed(2));
const fmtValue = (v: Params[string]): string =>
  typeof v === "number" ? String(Number(v.toPrecision(6))) : String(v);

function cvJson(r: NabCvResult, meta: object): unknown {
  return {
    detector: r.detector,
    mode: "cv",
    ...meta,
    scorer: "NAB v1.1 sweeper, re-implemented in model/nab; CV bookkeeping in model/nab/cv.ts",
    files: r.files,
    rows: r.rows,
    folds: r.folds,
    seed: r.seed,
    grid: r.grid,
    cv: r.cv.map((p) => ({
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
    cvDefault: r.cvDefault.map((p) => ({
      profile: p.profile,
      normalisedScore: p.normalisedScore,
      windowsDetected: p.windowsDetected,
      rowCounts: p.counts,
    })),
    inSampleDefault: r.inSampleDefault.profiles,
    inSampleBest: r.inSampleBest,
    ties: r.ties,
    ablations: r.ablations,
  };
}

function profileRow(name: string, t: Triple): string {
  return `| ${name} | ${PROFILE_NAMES.map((p) => f2(t[p])).join(" | ")} |`;
}

export function cvTable(r: NabCvResult): string[] {
  const lines = [
    `NAB cross-validation for detector "${r.detector}" (${r.files} files, ${r.folds} folds, seed ${r.seed}, grid of ${r.grid.length})`,
    `${"".padEnd(34)} ${PROFILE_NAMES.map((p) => p.padStart(20)).join(" ")}`,
  ];
  const row = (name: string, t: Triple): string =>
    `${name.padEnd(34)} ${PROFILE_NAMES.map((p) => f2(t[p]).padStart(20)).join(" ")}`;
  lines.push(row("CV (grid + thresholds)", triple(r.cv)));
  lines.push(row("CV (default, thresholds only)", triple(r.cvDefault)));
  lines.push(row("in-sample (default)", triple(r.inSampleDefault.profiles)));
  lines.push(row("in-sample (best of grid)", r.inSampleBest));
  lines.push(
    `default config: ${r.ties.ones} of ${r.ties.rows} rows score exactly 1, ${r.ties.zeros} exactly 0 (${r.ties.distinct} distinct values)`,
  );
  if (r.ablations.length > 0) {
    lines.push(
      `ablations (CV standard / low-FP / low-FN; default ${PROFILE_NAMES.map((p) => f2(triple(r.cvDefault)[p])).join(" / ")}):`,
    );
    for (const a of r.ablations) {
      lines.push(
        `  ${a.param} ${fmtValue(a.from)} → ${fmtValue(a.to)}: ${PROFILE_NAMES.map((p) => f2(a.cv[p])).join(" / ")}  (in-sample ${f2(a.inSample.standard)})`,
      );
    }
  }
  return lines;
}

function cvMarkdown(r: NabCvResult, meta: { dataDir: string; labelsPath: string; ablate: boolean }): string {
  const std = r.cv.find((p) => p.profile === "standard");
  const gridDesc = r.grid.map((g, i) => {
    const changed = Object.entries(g).filter(([k, v]) => (r.grid[0] as Params)[k] !== v);
    return `${i}: ${i === 0 ? "defaults" : changed.map(([k, v]) => `${k} ${fmtValue(v)}`).join(", ")}`;
  });
  const out = [
    `# NAB cross-validation: ${r.detector}`,
    "",
    `\`npm run bench:nab -- --cv${meta.ablate ? " --ablate" : ""}${r.folds === r.files ? " --folds 0" : ` --folds ${r.folds}`} --seed ${r.seed}\``,
    "",
    `Data \`${meta.dataDir}\` (${r.files} files, ${r.rows} rows), labels \`${meta.labelsPath}\`. ` +
      `${r.folds === r.files ? "Leave-one-file-out" : `${r.folds}-fold by file (categories dealt round-robin, seed ${r.seed})`}: ` +
      `for each fold the configuration (grid: ${gridDesc.join("; ")}) and each profile's threshold are chosen ` +
      `on the other folds' files, then applied to the fold's own files; all held-out files are scored together ` +
      `(NAB raw score = sum of per-file scores; normalised with the same null / perfect baselines as in-sample).`,
    "",
    "## Scores",
    "",
    "| | standard | reward low FP | reward low FN |",
    "| --- | ---: | ---: | ---: |",
    profileRow("**CV** (grid + thresholds chosen per fold)", triple(r.cv)),
    profileRow("CV, default configuration (thresholds only)", triple(r.cvDefault)),
    profileRow("in-sample, default configuration", triple(r.inSampleDefault.profiles)),
    profileRow("in-sample, best grid configuration per profile", r.inSampleBest),
    "",
    std === undefined
      ? ""
      : `CV standard: ${std.windowsDetected}/${std.windows} windows detected, ${std.counts.fp} false-positive rows. ` +
        `Default configuration: ${r.ties.ones} of ${r.ties.rows} rows score exactly 1 and ${r.ties.zeros} exactly 0 ` +
        `(${r.ties.distinct} distinct values).`,
    "",
    "## Fold choices (standard)",
    "",
    "| fold | files | grid config | threshold | training raw score |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...(std?.choices ?? []).map(
      (c) =>
        `| ${c.fold} | ${c.heldOut.length} | ${c.config} | ${Number(c.threshold.toPrecision(6))} | ${c.trainScore.toFixed(3)} |`,
    ),
    "",
  ];
  if (r.ablations.length > 0) {
    out.push(
      "## Ablations",
      "",
      `One constant of the default configuration changed at a time; thresholds chosen by the same CV. ` +
        `Default: CV ${PROFILE_NAMES.map((p) => f2(triple(r.cvDefault)[p])).join(" / ")}, in-sample ${f2(triple(r.inSampleDefault.profiles).standard)} (standard).`,
      "",
      "| constant | default | alternative | CV standard | CV low FP | CV low FN | in-sample standard |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...r.ablations.map(
        (a) =>
          `| ${a.param} | ${fmtValue(a.from)} | ${fmtValue(a.to)} | ${f2(a.cv.standard)} | ${f2(a.cv.reward_low_FP_rate)} | ${f2(a.cv.reward_low_FN_rate)} | ${f2(a.inSample.standard)} |`,
      ),
      "",
    );
  }
  return out.join("\n");
}
