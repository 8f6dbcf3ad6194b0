/**
 * `npm run readme` — regenerates the README's figures from the committed artifacts, so the README
 * cannot drift from them: the model block from model/artifacts/downtime-lstm.json, the benchmark block
 * from bench/results/{leadtime.md, edge.md, nab/*_scores.json}. `--check` exits 1 when README.md is stale
 * (a test runs it).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelMetaSchema, alertPolicy } from "../model/core/meta.ts";

const ROOT = join(import.meta.dirname, "..");

const Reliability = z.array(
  z.object({
    bin: z.tuple([z.number(), z.number()]),
    count: z.number(),
    mean_predicted: z.number().nullable(),
    observed_frequency: z.number().nullable(),
  }),
);
/** The artifact metadata as the scoring core reads it, plus the training record and test metrics. */
const Meta = ModelMetaSchema.extend({
  training: z.object({ invoked_by: z.string().optional(), config: z.record(z.string(), z.unknown()) }),
  metrics: z.object({
    test: z.object({
      horizons: z.array(
        z.object({
          horizon_minutes: z.number(),
          positives: z.number(),
          n: z.number(),
          base_rate: z.number(),
          auc_pr: z.number().nullable(),
          brier_raw: z.number(),
          brier_calibrated: z.number(),
          brier_base_rate: z.number(),
          reliability_calibrated: Reliability,
        }),
      ),
    }),
  }),
});

/** What the tuner records next to the thresholds (model/train/tune.ts). */
const Tuning = z
  .object({
    precision: z.number(),
    recall: z.number(),
    median_lead_minutes: z.number().nullable(),
    false_alarms_per_host_day: z.number(),
  })
  .optional();

const NabScores = z.object({
  detector: z.string(),
  files: z.number(),
  profiles: z.array(z.object({ profile: z.string(), normalisedScore: z.number(), threshold: z.number() })),
});

const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "–" : x.toFixed(d));

export function modelBlock(): string {
  const m = Meta.parse(JSON.parse(readFileSync(join(ROOT, "model/artifacts/downtime-lstm.json"), "utf8")));
  const rows = m.metrics.test.horizons.map(
    (h) =>
      `| ${h.horizon_minutes} min | ${h.positives} / ${h.n} | ${f(h.base_rate * 100, 2)} % | ${f(h.auc_pr, 3)} | ${f(h.brier_raw, 5)} → ${f(h.brier_calibrated, 5)} | ${f(h.brier_base_rate, 5)} |`,
  );
  const longest = m.metrics.test.horizons[m.metrics.test.horizons.length - 1]!;
  const rel = longest.reliability_calibrated
    .filter((b) => b.count > 0)
    .map(
      (b) =>
        `| ${f(b.bin[0], 1)}–${f(b.bin[1], 1)} | ${b.count} | ${f(b.mean_predicted, 3)} | ${f(b.observed_frequency, 3)} |`,
    );
  const { warning, critical } = alertPolicy(m);
  const minutes = m.horizons_minutes;
  const tuning = Tuning.parse(m.thresholds.tuning);
  return [
    `Committed artifact \`model/artifacts/downtime-lstm.onnx\`, version \`${m.version}\`: LSTM ${m.feature_names.length} → ${m.hidden} × ${m.layers} layers, trained by \`${m.training.invoked_by || "npm run train"}\` (seed ${String(m.training.config.seed)}; every training flag and the data description are in the metadata JSON).`,
    ``,
    `Held-out **test** hosts (natural failure rate), calibrated with Platt scaling fitted on the separate calibration hosts:`,
    ``,
    `| horizon | positive rows | base rate | AUC-PR | Brier raw → calibrated | Brier of the base rate |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rows,
    ``,
    `Reliability of the calibrated ${longest.horizon_minutes}-minute probability on the test hosts (bins with rows):`,
    ``,
    `| predicted | rows | mean predicted | observed frequency |`,
    `| --- | --- | --- | --- |`,
    ...rel,
    ``,
    `Alert thresholds (${m.thresholds.source ?? "defaults"}): warning when p(${minutes[warning.horizonIndex]}m) ≥ ${warning.enter} for ${warning.enterSteps} step(s), cleared below ${warning.exit}; critical when p(${minutes[critical.horizonIndex]}m) ≥ ${critical.enter}.${tuning ? ` On the tuning fleet: precision ${f(tuning.precision, 3)}, recall ${f(tuning.recall, 3)}, median lead ${f(tuning.median_lead_minutes, 1)} min, ${f(tuning.false_alarms_per_host_day, 3)} false alarms per host-day.` : ""}`,
  ].join("\n");
}

export function benchBlock(): string {
  const out: string[] = [];
  const nab = ["edge", "numenta"]
    .map((d) => join(ROOT, "bench/results/nab", `${d}_scores.json`))
    .filter((p) => existsSync(p))
    .map((p) => NabScores.parse(JSON.parse(readFileSync(p, "utf8"))));
  if (nab.length > 0) {
    const label = (d: string) =>
      d === "edge"
        ? "**ours** (`model/core/anomaly`, online)"
        : d === "numenta"
          ? "Numenta HTM (NAB's shipped detections)"
          : d;
    out.push(
      `### NAB (anomaly path, \`npm run bench:nab\`)`,
      ``,
      `On the NAB subset in \`../shared/datasets/nab\` (${nab[0]!.files} series, 4 categories), scored by our TypeScript re-implementation of NAB's scorer (it reproduces NAB's figures for the shipped HTM detections to the digit).`,
      ``,
      `| detector | standard | reward low FP | reward low FN |`,
      `| --- | --- | --- | --- |`,
      ...nab.map(
        (n) => `| ${label(n.detector)} | ${n.profiles.map((p) => f(p.normalisedScore)).join(" | ")} |`,
      ),
      ``,
    );
  }
  const lt = join(ROOT, "bench/results/leadtime.md");
  if (existsSync(lt)) {
    const body = readFileSync(lt, "utf8")
      .replace(/^# Lead-time benchmark\n/, "")
      .replace("](leadtime-host.svg)", "](bench/results/leadtime-host.svg)")
      .trim();
    out.push(`### Early warning (\`npm run bench:leadtime\`)`, ``, body);
  }
  const edge = join(ROOT, "bench/results/edge.md");
  if (existsSync(edge)) {
    const text = readFileSync(edge, "utf8");
    const targets = /## Targets\n([\s\S]*?)(?=\n## |$)/.exec(text)?.[1]?.trim();
    const header = /^Generated by[\s\S]*?\n\n/m.exec(text)?.[0]?.trim();
    if (targets) {
      out.push(
        ``,
        `### Edge runtime (\`npm run bench:edge\`)`,
        ``,
        ...(header ? [header, ``] : []),
        targets,
        ``,
        `All tables (cost per layer and batch size, throughput, bundle, memory): [bench/results/edge.md](bench/results/edge.md).`,
      );
    }
  }
  return out.join("\n").trim();
}

export function render(readme: string): string {
  const put = (text: string, tag: string, body: string) => {
    const re = new RegExp(`<!-- ${tag} -->[\\s\\S]*?<!-- /${tag} -->|<!-- ${tag} -->`);
    if (!re.test(text)) throw new Error(`README.md has no <!-- ${tag} --> marker`);
    return text.replace(re, () => `<!-- ${tag} -->\n\n${body}\n\n<!-- /${tag} -->`);
  };
  return put(put(readme, "MODEL-METRICS", modelBlock()), "BENCHMARKS", benchBlock());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = join(ROOT, "README.md");
  const before = readFileSync(path, "utf8");
  const after = render(before);
  if (process.argv.includes("--check")) {
    if (after !== before) {
      console.error("README.md is stale: run `npm run readme`");
      process.exit(1);
    }
    console.log("README.md is up to date");
  } else {
    writeFileSync(path, after);
    console.log(after === before ? "README.md unchanged" : "README.md updated");
  }
}
