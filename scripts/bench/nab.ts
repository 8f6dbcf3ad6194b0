/**
 * `npm run bench:nab -- [--data DIR] [--labels FILE] [--write-results | --out DIR] [--detector NAME] [--score-only DIR]`
 *
 * Runs a detector online over a NAB-layout folder, writes NAB result files and prints NAB scores
 * (standard, reward_low_FP_rate, reward_low_FN_rate). With --score-only it scores an existing
 * results folder (e.g. NAB's shipped detections) instead of running anything.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { NabInputError } from "../../model/nab/index.ts";
import { DETECTORS } from "./nab-detectors.ts";
import { NabFileError } from "./nab-io.ts";
import { runNabCv } from "./nab-cv.ts";
import { runNabBench } from "./nab-run.ts";
import { resultsNote, resultsTarget } from "./results.ts";

const ROOT = join(import.meta.dirname, "..", "..");

const USAGE = `usage: npm run bench:nab -- [options]
  --data DIR         NAB-layout data folder (category/file.csv)   [../shared/datasets/nab/data]
  --labels FILE      NAB label windows JSON                        [../shared/datasets/nab/labels/combined_windows_subset.json]
  --write-results    write the committed figures (bench/results/nab/), then \`npm run readme\`
  --out DIR          output folder                   [bench/results/local/nab, git-ignored]
  --detector NAME    detector to run (${Object.keys(DETECTORS).join(", ")}), or the name of the
                     results to score with --score-only           [edge]
  --score-only DIR   score DIR/<category>/<detector>_<file>.csv (or DIR/<detector>/…) instead of running
  --cv               cross-validate by file: the detector's parameter grid and each profile's threshold
                     chosen on the training folds, scored on the held-out files (writes <detector>_cv.*)
  --folds K          folds for --cv, by file (0 = leave-one-file-out)        [6]
  --seed N           seed of the (first) fold assignment                     [1]
  --repeats R        repeat the k folds with seeds N … N+R−1; figures are the mean   [5]
  --ablate           with --cv: also cross-validate the default configuration with one parameter
                     changed at a time (the detector's ablation list)
  --help`;

const argsSchema = z.object({
  data: z.string().min(1).default("../shared/datasets/nab/data"),
  labels: z.string().min(1).default("../shared/datasets/nab/labels/combined_windows_subset.json"),
  out: z.string().min(1).optional(),
  "write-results": z.boolean().default(false),
  detector: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "letters, digits and '-' only (NAB splits file names on '_')")
    .default("edge"),
  "score-only": z.string().min(1).optional(),
  cv: z.boolean().default(false),
  folds: z.coerce
    .number()
    .int()
    .min(0)
    .refine((k) => k !== 1, "1 fold leaves nothing to train on (0 = leave-one-file-out)")
    .default(6),
  seed: z.coerce.number().int().min(0).default(1),
  repeats: z.coerce.number().int().min(1).max(100).default(5),
  ablate: z.boolean().default(false),
  help: z.boolean().optional(),
});

const log = {
  info: (line: string) => console.log(line),
  progress: (line: string) => console.error(line),
  warn: (line: string) => console.warn(`warning: ${line}`),
};

async function main(argv: string[]): Promise<number> {
  let raw;
  try {
    raw = parseArgs({
      args: argv,
      options: {
        data: { type: "string" },
        labels: { type: "string" },
        out: { type: "string" },
        "write-results": { type: "boolean" },
        detector: { type: "string" },
        "score-only": { type: "string" },
        cv: { type: "boolean" },
        folds: { type: "string" },
        seed: { type: "string" },
        repeats: { type: "string" },
        ablate: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    console.error(`error: --${String(issue?.path[0] ?? "?")}: ${issue?.message ?? "invalid"}\n${USAGE}`);
    return 2;
  }
  const args = parsed.data;
  if (args.help === true) {
    console.log(USAGE);
    return 0;
  }
  let target;
  try {
    target = resultsTarget(ROOT, { out: args.out, writeResults: args["write-results"] }, "nab");
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (
    (args.ablate || raw.folds !== undefined || raw.seed !== undefined || raw.repeats !== undefined) &&
    !args.cv
  ) {
    console.error(`error: --folds, --seed, --repeats and --ablate go with --cv\n${USAGE}`);
    return 2;
  }
  if (args.cv && args["score-only"] !== undefined) {
    console.error(`error: --cv runs the detector's grid; it does not take --score-only\n${USAGE}`);
    return 2;
  }
  try {
    if (args.cv) {
      await runNabCv(
        {
          dataDir: args.data,
          labelsPath: args.labels,
          outDir: target.dir,
          detector: args.detector,
          folds: args.folds,
          seed: args.seed,
          repeats: args.repeats,
          ablate: args.ablate,
        },
        log,
      );
      console.log(resultsNote(ROOT, target));
      return 0;
    }
    await runNabBench(
      {
        dataDir: args.data,
        labelsPath: args.labels,
        outDir: target.dir,
        detector: args.detector,
        scoreOnlyDir: args["score-only"],
      },
      log,
    );
    console.log(resultsNote(ROOT, target));
    return 0;
  } catch (e) {
    if (e instanceof NabFileError || e instanceof NabInputError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
