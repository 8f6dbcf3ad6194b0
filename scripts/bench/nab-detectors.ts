/**
 * Detectors `bench:nab` can run, by name.
 *
 * To add one: write it in its own file, exporting a `DetectorSpec`, and add one line to `DETECTORS`
 * (`myname: () => import("./path/to/it.ts").then((m) => m.mySpec)`; names: letters, digits, '-').
 * - `create(params)` makes a fresh detector for one file; it sees rows one by one, in order, and must
 *   return a score in 0..1 for every row (NaN values come in as NaN: treat them as missing).
 * - `grid[0]` is the default configuration (what a plain run and `--ablate` start from); `--cv`
 *   chooses among all of `grid` on the training folds only. Keep it small (≤ ~12 configurations):
 *   each is run once over every file, and a large grid overfits the training folds.
 * - `ablations` (optional): alternative values per parameter for `--ablate`, which cross-validates
 *   `grid[0]` with one parameter changed at a time.
 */

/** An online detector: sees one row at a time, in order, and scores it from what it has seen so far. */
export interface OnlineDetector {
  /** @returns anomaly score of this row, 0..1 */
  update(timestampMs: number, value: number): number;
}

/** One parameter configuration: flat, JSON-able (it is written to the results files). */
export type Params = Readonly<Record<string, number | boolean | string>>;

export interface DetectorSpec<P extends Params = Params> {
  /** Configurations `--cv` chooses among; `grid[0]` is the default. Non-empty. */
  grid: readonly P[];
  /** A fresh detector for one file. */
  create(params: P): OnlineDetector;
  /** Alternative values per parameter of `grid[0]`, for `--ablate`. */
  ablations?: Readonly<Partial<Record<keyof P & string, readonly (number | boolean | string)[]>>>;
}

/** NAB's null detector: 0.5 on every row (the zero of NAB's normalisation). */
const nullSpec: DetectorSpec = { grid: [{}], create: () => ({ update: () => 0.5 }) };

/** Loaded only when asked for, so a run imports just the detector it runs. */
export const DETECTORS: Readonly<Record<string, () => Promise<DetectorSpec>>> = {
  // The scoring core's anomaly path, the code the edge runs (model/core/anomaly).
  edge: async () => (await import("./nab-edge.ts")).edgeSpec,
  null: () => Promise.resolve(nullSpec),
  // Alternative online detectors (#11 part 3; model/core/anomaly/README.md "Other detectors").
  bocpd: () => import("../../model/core/anomaly/bocpd.ts").then((m) => m.bocpdSpec),
  art: () => import("../../model/core/anomaly/art.ts").then((m) => m.artSpec),
  ensemble: () => import("../../model/core/anomaly/ensemble.ts").then((m) => m.ensembleSpec),
};
