/**
 * `npm run readme` — regenerates the README's figures from the committed artifacts, so the README
 * cannot drift from them: the model block from model/artifacts/downtime-lstm.json, the benchmark block
 * from bench/results/{leadtime.md, edge.md, nab/*_cv.json, nab/numenta_scores.json}. It also checks what can drift without a
 * generated block: every folder of the tree in the Layout table, every npm script in the README, and
 * the edge figures stamped with a commit of this history and no uncommitted code. `--check` exits 1
 * when README.md is stale or a check fails (a test runs the same checks).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelMetaSchema, alertPolicy } from "../model/core/meta.ts";
import { MEASURED_PATHS } from "./bench/edge/report.ts";

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

/** The body of a results page's `## <name>` section (`name` is a regular expression), trimmed. */
function mdSection(text: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\n)## ${name}\\n([\\s\\S]*?)(?=\\n## |(?![\\s\\S]))`).exec(text)?.[1]?.trim();
}

/**
 * A benchmark's block from its committed results page: its stamp line (the command, when, commit),
 * optionally the machine line, the named sections (none without the first), then a link to the page.
 */
function resultsBlock(o: {
  file: string;
  title: string;
  script: string;
  machine?: boolean;
  sections: string[];
  footer: string;
}): string[] {
  const path = join(ROOT, o.file);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const [first, ...rest] = o.sections.map((n) => mdSection(text, n));
  if (!first) return [];
  const stamp = new RegExp(`^\`npm run ${o.script}[^\\n]*$`, "m").exec(text)?.[0];
  const machine = o.machine ? /^Machine: [^\n]*$/m.exec(text)?.[0] : undefined;
  return [
    ``,
    `### ${o.title}`,
    ``,
    ...(stamp ? [stamp, ``] : []),
    ...(machine ? [machine, ``] : []),
    first,
    ...rest.flatMap((p) => (p ? [``, p] : [])),
    ``,
    o.footer,
  ];
}

const Triple = z.object({
  standard: z.number().nullable(),
  reward_low_FP_rate: z.number().nullable(),
  reward_low_FN_rate: z.number().nullable(),
});
const Spread = z.object({ mean: Triple, min: Triple, max: Triple, runs: z.array(Triple) });
/** What `bench:nab --cv` writes (scripts/bench/nab-cv.ts). */
const NabCv = z.object({
  detector: z.string(),
  files: z.number(),
  folds: z.number(),
  seeds: z.array(z.number()),
  grid: z.array(z.record(z.string(), z.unknown())),
  cvGrid: Spread,
  cvDefault: Spread,
  inSampleDefault: z.array(z.object({ profile: z.string(), normalisedScore: z.number().nullable() })),
  inSampleBest: Triple,
});

const NAB_PROFILE_KEYS = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const;

/** The NAB subsection: every detector's CV figure (edge first) beside the in-sample ones. */
function nabBlock(): string[] {
  const dir = join(ROOT, "bench/results/nab");
  if (!existsSync(dir)) return [];
  const cvs = readdirSync(dir)
    .filter((n) => n.endsWith("_cv.json"))
    .map((n) => NabCv.parse(JSON.parse(readFileSync(join(dir, n), "utf8"))))
    .sort((a, b) =>
      a.detector === "edge" ? -1 : b.detector === "edge" ? 1 : a.detector.localeCompare(b.detector),
    );
  const numenta = join(dir, "numenta_scores.json");
  const htm = existsSync(numenta) ? NabScores.parse(JSON.parse(readFileSync(numenta, "utf8"))) : undefined;
  const edge = cvs.find((c) => c.detector === "edge");
  if (edge === undefined && htm === undefined) return [];
  const label = (d: string): string =>
    ({
      edge: "**edge** (`model/core/anomaly`, the host scorer's per-metric detector)",
      bocpd: "`bocpd` (Bayesian online change points, Adams & MacKay 2007)",
      art: "`art` (Fuzzy ART over windows, in the spirit of ARTime)",
      ensemble: "`ensemble` (edge and another detector's calibrated score, max)",
    })[d] ?? `\`${d}\``;
  const cell = (s: z.infer<typeof Spread>, p: (typeof NAB_PROFILE_KEYS)[number]) => {
    const lo = s.min[p];
    const hi = s.max[p];
    return s.runs.length > 1 && lo !== hi ? `${f(s.mean[p])} (${f(lo)}–${f(hi)})` : f(s.mean[p]);
  };
  const inSample = (c: z.infer<typeof NabCv>, p: (typeof NAB_PROFILE_KEYS)[number]) =>
    f(c.inSampleDefault.find((x) => x.profile === p)?.normalisedScore) + ` / ${f(c.inSampleBest[p])}`;
  const ref = edge ?? cvs[0];
  const protocol =
    ref === undefined
      ? ""
      : ref.folds === ref.files
        ? "leave-one-file-out"
        : `${ref.folds}-fold by file, mean of ${ref.seeds.length} repetitions with different fold assignments (lowest–highest in brackets)`;
  const pair = (p: string) => `**CV** ${p} | in-sample ${p}`;
  return [
    `### NAB (anomaly path, \`npm run bench:nab\`)`,
    ``,
    `On the NAB development split in \`../shared/datasets/nab\` (${ref?.files ?? htm?.files ?? 0} series, 4 categories; NAB's other categories are never used), scored by our TypeScript re-implementation of NAB's scorer (it reproduces NAB's figures for the shipped HTM detections to the digit). **The cross-validated figure is the headline** (\`npm run bench:nab -- --cv --detector NAME --write-results\`; ${protocol}): in each fold the detector's configuration (from its grid) and each profile's alarm threshold are chosen on the other folds' series only, and the held-out series are then scored together. In-sample = one threshold per profile optimised on all series (NAB's usual figure), for the detector's defaults / for the best configuration of its grid.`,
    ``,
    `| detector | grid | ${pair("standard")} | ${pair("low FP")} | ${pair("low FN")} |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...cvs.map(
      (c) =>
        `| ${label(c.detector)} | ${c.grid.length} | ${NAB_PROFILE_KEYS.map((p) => `**${cell(c.cvGrid, p)}** | ${inSample(c, p)}`).join(" | ")} |`,
    ),
    ...(htm
      ? [
          `| Numenta HTM (NAB's shipped detections) | – | ${htm.profiles.map((p) => `– | ${f(p.normalisedScore)}`).join(" | ")} |`,
        ]
      : []),
    ``,
    ...(edge
      ? [
          `The edge detector stays the host scorer's: no other detector beats it under CV — the ensemble's figure is exactly the edge defaults' CV figure below, since its CV choice (the edge's score against 0.25 × art's) never moves the edge's alarms. Honest caveat: the edge detector's defaults were first chosen on these same ${edge.files} series, in-sample, before cross-validation existed; CV re-chooses the configuration among its grid and the thresholds per fold, but the grid is centred on those defaults, so even the CV figure is not a figure on unseen data (with its defaults and only the thresholds cross-validated: ${NAB_PROFILE_KEYS.map((p) => cell(edge.cvDefault, p)).join(" / ")}). Each constant's ablation under CV is in [model/core/anomaly/README.md](model/core/anomaly/README.md#constants-and-their-ablations) (\`npm run bench:nab -- --cv --ablate\`), the other detectors in [its section "Other detectors"](model/core/anomaly/README.md#other-detectors-11-part-3-bocpd-fuzzy-art-ensemble), fold choices in \`bench/results/nab/NAME_cv.md\`. Cost per point and state per stream of every detector in Node: \`npm run bench:anomaly\` (scripts/bench/anomaly-cost.ts); inside workerd, the edge detector's cost per point per metric and state per host are \`npm run bench:edge\`'s \`cost.anomaly\`. Label windows whose ends are not timestamps occurring once in a file (a daylight-saving fall-back hour, duplicated rows) are mapped by file order rather than refused; see [Messy streams](model/core/anomaly/README.md#messy-streams-time-going-back-duplicates-gaps).`,
          ``,
        ]
      : []),
  ];
}

export function benchBlock(): string {
  const out: string[] = [];
  out.push(...nabBlock());
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
  out.push(
    ...resultsBlock({
      file: "bench/results/pipeline.md",
      title: "Self-hosted pipeline (`npm run bench:pipeline`)",
      script: "bench:pipeline",
      machine: true,
      sections: ["Targets(?: \\(issue #10\\))?", "Gateway"],
      footer:
        "All tables (the connector's writer designs, freshness quantiles): [bench/results/pipeline.md](bench/results/pipeline.md).",
    }),
    ...resultsBlock({
      file: "bench/results/exporter.md",
      title: "Exporter scrape (`npm run bench:exporter`)",
      script: "bench:exporter",
      sections: ["Target \\(issue #13\\)", "Scrape time"],
      footer:
        "Machine, method and where the database time goes: [bench/results/exporter.md](bench/results/exporter.md).",
    }),
  );
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

const git = (...args: string[]): string =>
  execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/** Tracked folders of the tree (the git index), or null outside a git checkout. */
function trackedDirs(): Set<string> | null {
  let files: string[];
  try {
    files = git("ls-files").split("\n").filter(Boolean);
  } catch {
    return null;
  }
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${parts.slice(0, i).join("/")}/`);
  }
  return dirs;
}

/**
 * Folders the Layout table misses. Rows name folders (`` `model/core/` ``); a folder is covered by its
 * own row, by a row of an ancestor (`worker/routes/` by `worker/`), or by rows of its children
 * (`model/` by `model/core/`, …). Checked: every tracked folder up to two levels deep (three under
 * scripts/ and bench/), except dot-folders.
 */
export function layoutGaps(readme: string, dirs: ReadonlySet<string>): string[] {
  const section = /^## Layout\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
  const rows = [...section.matchAll(/^\| `([^`]+\/)`/gm)].map((m) => m[1]!);
  const covered = (d: string) => rows.some((r) => d === r || d.startsWith(r) || r.startsWith(d));
  return [...dirs]
    .filter((d) => !d.startsWith("."))
    .filter((d) => d.split("/").length - 1 <= (/^(scripts|bench)\//.test(d) ? 3 : 2))
    .filter((d) => !covered(d))
    .sort();
}

/** npm scripts a user runs (all but the internal ones) that the README never names. */
export function unmentionedScripts(readme: string, scripts: Record<string, string>): string[] {
  const internal = new Set(["test:run", "typecheck", "format", "lint"]);
  return Object.keys(scripts)
    .filter((k) => !internal.has(k))
    .filter((k) => !readme.includes(k === "start" || k === "test" ? `npm ${k}` : `npm run ${k}`));
}

const EdgeStamp = z.object({
  environment: z.object({ git: z.object({ commit: z.string(), uncommitted: z.array(z.string()) }) }),
});

/** The commit the committed edge figures name, and what was uncommitted then; null without them. */
function edgeStamp(): { commit: string; uncommitted: string[] } | null {
  const file = join(ROOT, "bench/results/edge.json");
  if (!existsSync(file)) return null;
  return EdgeStamp.parse(JSON.parse(readFileSync(file, "utf8"))).environment.git;
}

/**
 * What is wrong with the stamp of the committed edge figures (empty when it names committed code of
 * this history; the history is checked only in a git checkout, `inGit`).
 */
export function edgeStampProblems(inGit: boolean): string[] {
  const stamp = edgeStamp();
  if (stamp === null) return [];
  const problems: string[] = [];
  if (stamp.uncommitted.length > 0)
    problems.push(
      `bench/results/edge.json was measured with uncommitted changes in ${stamp.uncommitted.join(", ")}`,
    );
  if (inGit) {
    try {
      git("merge-base", "--is-ancestor", stamp.commit, "HEAD");
    } catch {
      problems.push(
        `bench/results/edge.json is stamped with ${stamp.commit.slice(0, 12)}, which is not in this history`,
      );
    }
  }
  return problems;
}

/** Commits since the edge figures' stamp that changed code they measure (for a warning, not a failure). */
export function edgeCodeChangedSince(): string[] {
  const stamp = edgeStamp();
  if (stamp === null) return [];
  try {
    return git("log", "--format=%h %s", `${stamp.commit}..HEAD`, "--", ...MEASURED_PATHS)
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(0, 100));
  } catch {
    return [];
  }
}

/** Every check that can fail `--check` besides the generated blocks. */
export function driftProblems(readme: string): string[] {
  const pkg = z
    .object({ scripts: z.record(z.string(), z.string()) })
    .parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")));
  const dirs = trackedDirs();
  return [
    ...(dirs ? layoutGaps(readme, dirs).map((d) => `the Layout table has no row for \`${d}\``) : []),
    ...unmentionedScripts(readme, pkg.scripts).map((s) => `the README never mentions \`npm run ${s}\``),
    ...edgeStampProblems(dirs !== null),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = join(ROOT, "README.md");
  const before = readFileSync(path, "utf8");
  const after = render(before);
  const problems = driftProblems(after);
  const changed = edgeCodeChangedSince();
  if (changed.length > 0) {
    console.warn(
      `warning: ${changed.length} commit(s) since the edge figures' stamp changed code they measure (re-run \`npm run bench:edge -- --write-results\`):\n  ${changed.join("\n  ")}`,
    );
  }
  for (const p of problems) console.error(`README.md: ${p}`);
  if (process.argv.includes("--check")) {
    if (after !== before) console.error("README.md is stale: run `npm run readme`");
    if (after !== before || problems.length > 0) process.exit(1);
    console.log("README.md is up to date");
  } else {
    writeFileSync(path, after);
    console.log(after === before ? "README.md unchanged" : "README.md updated");
    if (problems.length > 0) process.exit(1);
  }
}
