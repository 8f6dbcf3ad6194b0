/**
 * Where a benchmark writes its results. By default a run writes to `bench/results/local/` (git-ignored):
 * running a benchmark the README recommends changes no committed file, so it can never make the
 * README check of `npm test` fail. `--write-results` writes to `bench/results/`, the committed figures
 * the README is generated from (then `npm run readme`); `--out DIR` writes anywhere else.
 */
import { relative, resolve } from "node:path";

/** The committed results, read by `npm run readme`. */
export const COMMITTED_RESULTS = "bench/results";
/** Local runs (git-ignored). */
export const LOCAL_RESULTS = "bench/results/local";

export const RESULTS_USAGE = `  --write-results  write the committed figures (bench/results/), then run \`npm run readme\`
  --out DIR        write the results to DIR instead
  (default: bench/results/local/, git-ignored, so a local run changes no committed file)`;

export interface ResultsTarget {
  /** Absolute directory to write into. */
  dir: string;
  /** Whether it is the committed results directory. */
  committed: boolean;
}

/** The directory a run writes into (`sub` below the default or committed root, e.g. "nab"). */
export function resultsTarget(
  root: string,
  o: { out?: string | undefined; writeResults?: boolean | undefined },
  sub = "",
): ResultsTarget {
  if (o.out !== undefined && o.writeResults) {
    throw new Error("--out and --write-results: give one of them");
  }
  if (o.out !== undefined) {
    const dir = resolve(root, o.out);
    return { dir, committed: dir === resolve(root, COMMITTED_RESULTS, sub) };
  }
  const base = o.writeResults ? COMMITTED_RESULTS : LOCAL_RESULTS;
  return { dir: resolve(root, base, sub), committed: o.writeResults === true };
}

/** The closing line of a run: where the results went and what to do with them. */
export function resultsNote(root: string, t: ResultsTarget): string {
  const where = relative(root, t.dir) || ".";
  return t.committed
    ? `results written to ${where} (committed figures): run \`npm run readme\` to update the README`
    : `results written to ${where}; the committed figures are unchanged (--write-results updates them)`;
}
