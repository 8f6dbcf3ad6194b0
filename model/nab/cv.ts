/**
 * Cross-validation by file over cached detector outputs.
 *
 * A detector is run once per (parameter configuration, file); everything after that is bookkeeping
 * here. For each fold, every tuned quantity — the configuration and each profile's alarm threshold —
 * is chosen on the other folds' files with NAB's optimiser, then applied unchanged to the fold's own
 * files. The held-out detections of all folds are scored together: the NAB raw score is the sum of the
 * per-file scores (as in NAB), normalised with the same null/perfect baselines as an in-sample run.
 */
import { baselines, normalise, type Baselines, type LabelledScores } from "./corpus.ts";
import {
  NAB_PROFILES,
  PROFILE_NAMES,
  PROBATION_FRACTION,
  type CostMatrix,
  type ProfileName,
} from "./profiles.ts";
import {
  OUTSIDE,
  PROBATION,
  START_THRESHOLD,
  scoreSeriesAt,
  sumFileScores,
  sweepSeries,
  type FileScore,
  type RowCounts,
  type SeriesSweep,
  type ThresholdScore,
} from "./sweep.ts";
import type { WindowRows } from "./windows.ts";

/** mulberry32: small, fast, deterministic PRNG (uniform in [0, 1)). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fold of each file (0 … k−1), deterministic in (names, k, seed) and independent of the input order:
 * files are grouped by category (the part before the last `/`), each group is shuffled with the seed,
 * and the groups are dealt round-robin, one file per fold in turn, so every fold gets a mix of
 * categories and fold sizes differ by at most one. `k ≥ names.length` (or k = 0) is leave-one-file-out.
 */
export function assignFolds(names: readonly string[], k: number, seed = 1): number[] {
  if (new Set(names).size !== names.length) throw new RangeError("file names must be unique");
  if (k === 1) throw new RangeError("k = 1 leaves no training files: use k ≥ 2, or 0 for leave-one-file-out");
  const folds = k <= 0 || k >= names.length ? names.length : k;
  if (folds < 2) throw new RangeError(`cross-validation needs at least 2 files, got ${names.length}`);
  const byCategory = new Map<string, string[]>();
  for (const name of [...names].sort()) {
    const cut = name.lastIndexOf("/");
    const cat = cut < 0 ? "" : name.slice(0, cut);
    const group = byCategory.get(cat) ?? [];
    group.push(name);
    byCategory.set(cat, group);
  }
  const random = rng(seed);
  const order: string[] = [];
  for (const cat of [...byCategory.keys()].sort()) {
    const group = byCategory.get(cat) as string[];
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j] as string, group[i] as string];
    }
    order.push(...group);
  }
  const foldOf = new Map<string, number>();
  order.forEach((name, i) => foldOf.set(name, i % folds));
  return names.map((n) => foldOf.get(n) as number);
}

/** The corpus with one detector's output per parameter configuration (cached runs). */
export interface CvCorpus {
  /** `category/file.csv`, unique. */
  names: readonly string[];
  /** Label windows per file, as rows. */
  windows: readonly (readonly WindowRows[])[];
  /** `scores[c][f]`: output of configuration `c` on file `f`, one value 0..1 per row. */
  scores: readonly (readonly ArrayLike<number>[])[];
}

/** What was chosen for one held-out fold and profile, from the other folds only. */
export interface FoldChoice {
  fold: number;
  /** Index of the chosen configuration in the grid. */
  config: number;
  threshold: number;
  /** Corpus raw score of the choice on the training files (what the choice maximised). */
  trainScore: number;
  /** Files held out in this fold. */
  heldOut: string[];
}

export interface CvProfileResult extends Baselines {
  profile: ProfileName;
  costMatrix: CostMatrix;
  /** Sum over all files of the held-out file score (each at its fold's configuration and threshold). */
  rawScore: number;
  normalisedScore: number | null;
  counts: RowCounts;
  windows: number;
  windowsDetected: number;
  files: (FileScore & { fold: number; config: number; threshold: number })[];
  choices: FoldChoice[];
}

/** One training pass: the score at every distinct threshold, best kept (NAB's optimiser). */
interface Prepared {
  /** Per file: the profile-independent row layout and per-profile sweep scores. */
  sweeps: Record<ProfileName, SeriesSweep[]>;
  /** Per configuration: scorable rows (not probationary) of all files, highest score first. */
  sorted: { score: Float64Array; file: Int32Array; row: Int32Array }[];
  windowOffset: Int32Array;
  totalWindows: number;
}

function prepare(corpus: CvCorpus, probationFraction: number): Prepared {
  const nFiles = corpus.names.length;
  const sweeps = {} as Record<ProfileName, SeriesSweep[]>;
  for (const p of PROFILE_NAMES) {
    // The sweep score and slot of a row depend only on the windows and the row count, not on the
    // scores; the scores of configuration 0 validate the shape here.
    sweeps[p] = corpus.names.map((name, f) =>
      sweepSeries(
        name,
        corpus.scores[0]?.[f] ?? [],
        corpus.windows[f] ?? [],
        NAB_PROFILES[p],
        probationFraction,
      ),
    );
  }
  const slot0 = sweeps.standard;
  const windowOffset = new Int32Array(nFiles);
  let totalWindows = 0;
  for (let f = 0; f < nFiles; f++) {
    windowOffset[f] = totalWindows;
    totalWindows += (corpus.windows[f] ?? []).length;
  }
  const sorted = corpus.scores.map((perFile, c) => {
    if (perFile.length !== nFiles)
      throw new RangeError(`configuration ${c} has ${perFile.length} files, expected ${nFiles}`);
    let rows = 0;
    for (let f = 0; f < nFiles; f++) {
      const sl = (slot0[f] as SeriesSweep).slot;
      const sc = perFile[f] as ArrayLike<number>;
      if (sc.length !== sl.length) {
        throw new RangeError(
          `configuration ${c}, ${corpus.names[f]}: ${sc.length} scores for ${sl.length} rows`,
        );
      }
      for (let i = 0; i < sc.length; i++) {
        const s = sc[i] as number;
        if (!(s >= 0 && s <= 1))
          throw new RangeError(`configuration ${c}, ${corpus.names[f]} row ${i + 1}: score ${s}`);
        if (sl[i] !== PROBATION) rows++;
      }
    }
    const score = new Float64Array(rows);
    const file = new Int32Array(rows);
    const row = new Int32Array(rows);
    let k = 0;
    for (let f = 0; f < nFiles; f++) {
      const sl = (slot0[f] as SeriesSweep).slot;
      const sc = perFile[f] as ArrayLike<number>;
      for (let i = 0; i < sl.length; i++) {
        if (sl[i] === PROBATION) continue;
        score[k] = sc[i] as number;
        file[k] = f;
        row[k] = i;
        k++;
      }
    }
    // Descending score, ties in corpus order (as NAB's stable sort); only the score at a threshold
    // change is ever read, so the order within ties does not change any result.
    const order = Array.from({ length: rows }, (_, i) => i);
    order.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
    return {
      score: Float64Array.from(order, (i) => score[i] as number),
      file: Int32Array.from(order, (i) => file[i] as number),
      row: Int32Array.from(order, (i) => row[i] as number),
    };
  });
  return { sweeps, sorted, windowOffset, totalWindows };
}

/**
 * NAB's optimiser (`optimizeThreshold`) over the files with `train[f]` set, for one configuration,
 * in one linear pass over the pre-sorted rows. Same result as `optimizeThreshold` on those files.
 */
function optimiseOn(prep: Prepared, config: number, profile: ProfileName, train: Uint8Array): ThresholdScore {
  const cost = NAB_PROFILES[profile];
  const sweeps = prep.sweeps[profile];
  const { score, file, row } = prep.sorted[config] as Prepared["sorted"][number];
  const parts = new Float64Array(prep.totalWindows).fill(Number.NaN);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let f = 0; f < sweeps.length; f++) {
    if (train[f] !== 1) continue;
    const sl = (sweeps[f] as SeriesSweep).slot;
    const off = prep.windowOffset[f] as number;
    for (let i = 0; i < sl.length; i++) {
      const w = sl[i] as number;
      if (w === PROBATION) continue;
      if (w === OUTSIDE) tn++;
      else {
        fn++;
        parts[off + w] = -cost.fnWeight;
      }
    }
  }
  let windowTotal = 0;
  for (const p of parts) if (!Number.isNaN(p)) windowTotal += p;
  let fpTotal = 0;
  let threshold = START_THRESHOLD;
  let best: ThresholdScore = { threshold, score: windowTotal, tp, tn, fp, fn };
  const consider = (): void => {
    const total = fpTotal + windowTotal;
    // Strictly better only: ties keep the higher threshold, as NAB's optimiser does.
    if (total > best.score) best = { threshold, score: total, tp, tn, fp, fn };
  };
  for (let k = 0; k < score.length; k++) {
    const f = file[k] as number;
    if (train[f] !== 1) continue;
    const s = score[k] as number;
    if (s !== threshold) {
      consider();
      threshold = s;
    }
    const sw = sweeps[f] as SeriesSweep;
    const i = row[k] as number;
    const w = sw.slot[i] as number;
    const v = sw.sweepScore[i] as number;
    if (w === OUTSIDE) {
      fp++;
      tn--;
      fpTotal += v;
    } else {
      tp++;
      fn--;
      const g = (prep.windowOffset[f] as number) + w;
      const old = parts[g] as number;
      if (v > old) {
        windowTotal += v - old;
        parts[g] = v;
      }
    }
  }
  consider();
  return best;
}

/** In-sample figures of one configuration: NAB's threshold optimised on every file, per profile. */
export interface InSampleResult {
  config: number;
  profiles: { profile: ProfileName; threshold: number; rawScore: number; normalisedScore: number | null }[];
}

/** A prepared corpus: sweeps and sorted rows built once, then any number of CV / in-sample queries. */
export class CrossValidator {
  private readonly prep: Prepared;
  private readonly base: Record<ProfileName, Baselines>;

  constructor(
    readonly corpus: CvCorpus,
    readonly probationFraction: number = PROBATION_FRACTION,
  ) {
    if (corpus.scores.length === 0) throw new RangeError("no configuration to cross-validate");
    this.prep = prepare(corpus, probationFraction);
    const labelled: LabelledScores[] = corpus.names.map((name, f) => ({
      name,
      anomalyScores: corpus.scores[0]?.[f] ?? [],
      windows: corpus.windows[f] ?? [],
    }));
    this.base = {} as Record<ProfileName, Baselines>;
    for (const p of PROFILE_NAMES) this.base[p] = baselines(labelled, NAB_PROFILES[p], probationFraction);
  }

  /** Configurations in the corpus. */
  get configs(): number {
    return this.corpus.scores.length;
  }

  /** Each configuration's in-sample score (threshold optimised on all files), per profile. */
  inSample(configs: readonly number[] = range(this.configs)): InSampleResult[] {
    const all = new Uint8Array(this.corpus.names.length).fill(1);
    return configs.map((c) => ({
      config: c,
      profiles: PROFILE_NAMES.map((p) => {
        const best = optimiseOn(this.prep, c, p, all);
        const files = this.prep.sweeps[p].map((sw, f) =>
          scoreSeriesAt(this.withScores(sw, c, f), NAB_PROFILES[p], best.threshold),
        );
        const rawScore = files.reduce((a, x) => a + x.score, 0);
        return {
          profile: p,
          threshold: best.threshold,
          rawScore,
          normalisedScore: normalise(rawScore, this.base[p]),
        };
      }),
    }));
  }

  /**
   * Cross-validated scores. For each fold and profile the configuration (among `configs`) and the
   * threshold with the best training score are chosen — ties go to the earlier configuration in
   * `configs` and to the higher threshold — and the fold's files are scored with them.
   *
   * @param folds fold index per file (see `assignFolds`)
   * @param configs the grid to choose from (indices into `corpus.scores`)
   */
  crossValidate(
    folds: readonly number[],
    configs: readonly number[] = range(this.configs),
  ): CvProfileResult[] {
    const nFiles = this.corpus.names.length;
    if (folds.length !== nFiles) throw new RangeError(`${folds.length} folds for ${nFiles} files`);
    if (configs.length === 0) throw new RangeError("empty grid");
    const foldIds = [...new Set(folds)].sort((a, b) => a - b);
    return PROFILE_NAMES.map((profile): CvProfileResult => {
      const cost = NAB_PROFILES[profile];
      const files: CvProfileResult["files"] = [];
      const choices: FoldChoice[] = [];
      for (const fold of foldIds) {
        const train = Uint8Array.from(folds, (k) => (k === fold ? 0 : 1));
        let choice: { config: number; best: ThresholdScore } | null = null;
        for (const c of configs) {
          const best = optimiseOn(this.prep, c, profile, train);
          if (choice === null || best.score > choice.best.score) choice = { config: c, best };
        }
        const { config, best } = choice as { config: number; best: ThresholdScore };
        const heldOut: string[] = [];
        for (let f = 0; f < nFiles; f++) {
          if (folds[f] !== fold) continue;
          const sw = this.prep.sweeps[profile][f] as SeriesSweep;
          files[f] = {
            ...scoreSeriesAt(this.withScores(sw, config, f), cost, best.threshold),
            fold,
            config,
            threshold: best.threshold,
          };
          heldOut.push(this.corpus.names[f] as string);
        }
        choices.push({ fold, config, threshold: best.threshold, trainScore: best.score, heldOut });
      }
      const { rawScore, counts, windows, windowsDetected } = sumFileScores(files);
      const base = this.base[profile];
      return {
        profile,
        costMatrix: cost,
        rawScore,
        normalisedScore: normalise(rawScore, base),
        ...base,
        counts,
        windows,
        windowsDetected,
        files,
        choices,
      };
    });
  }

  private withScores(sw: SeriesSweep, config: number, f: number): SeriesSweep {
    return { ...sw, anomalyScores: this.corpus.scores[config]?.[f] as ArrayLike<number> };
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
