/**
 * `npm run bench:leadtime` — early-warning quality on a held-out simulated fleet.
 *
 * Runs the production scoring core (HostScorer + the committed ONNX model) over every host of a fleet
 * simulated with a seed the model never trained on, and, in the same run and on the same resampled
 * steps, three baselines: static thresholds, linear extrapolation to a limit (Prometheus
 * `predict_linear` style) and an EWMA z-score. Every method's sensitivity is swept; baselines are
 * compared with the model at an equal false-alarm budget (their best recall with no more false alarms
 * per host-day than the model at its shipped thresholds).
 *
 * Writes leadtime.json, leadtime.md and leadtime-host.svg to bench/results/local/ (bench/results/ with
 * --write-results; see results.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { EXIT_RATIO, type AlertPolicy } from "../../model/core/alert.ts";
import { alertPolicy } from "../../model/core/meta.ts";
import { METRICS, METRIC_SPECS, N_METRICS } from "../../model/core/metrics.ts";
import {
  ewmaMaxZ,
  hysteresisFlags,
  linearTimeToBreach,
  staticCondition,
} from "../../model/eval/baselines.ts";
import {
  episodesFromFlags,
  evaluateEpisodes,
  type Episode,
  type EventReport,
  type LabelledDowntime,
} from "../../model/eval/leadtime.ts";
import { DEFAULT_ARTIFACT, loadModel } from "../../model/runtime/node.ts";
import { parseFleetConfig, simulateHost } from "../../simulator/fleet.ts";
import { alertFlags, scoreHost, type HostRun } from "../../model/eval/fleet-eval.ts";
import { renderHostSvg } from "./plot.ts";
import { resultsNote, resultsTarget, RESULTS_USAGE } from "./results.ts";

const ROOT = join(import.meta.dirname, "..", "..");

const ArgsSchema = z.object({
  seed: z.coerce.number().int().min(0).default(20_261_124),
  hosts: z.coerce.number().int().min(1).max(10_000).default(60),
  days: z.coerce.number().positive().max(60).default(7),
  "max-lead": z.coerce.number().positive().default(120),
  artifact: z.string().default(DEFAULT_ARTIFACT),
  out: z.string().min(1).optional(),
  "write-results": z.boolean().default(false),
});

const USAGE = `Usage: npm run bench:leadtime -- [--seed N] [--hosts N] [--days N] [--max-lead MIN] [--artifact BASE] [--write-results | --out DIR]
  --seed      simulator seed of the held-out fleet (default 20261124; training uses other seeds)
  --hosts     hosts in the fleet (default 60)
  --days      days per host (default 7)
  --max-lead  a warning counts for a downtime starting at most this many minutes later (default 120)
  --artifact  model artifact base path without extension (default ${DEFAULT_ARTIFACT})
${RESULTS_USAGE}`;

interface MethodPoint {
  method: string;
  knob: string;
  report: EventReport;
}

function parse(): z.infer<typeof ArgsSchema> {
  try {
    const { values } = parseArgs({
      options: Object.fromEntries(
        ["seed", "hosts", "days", "max-lead", "artifact", "out"].map((k) => [k, { type: "string" as const }]),
      ),
      "write-results": { type: "boolean" },
      strict: true,
    });
    const r = ArgsSchema.safeParse(values);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new Error(`--${String(i.path[0])}: ${i.message}`);
    }
    return r.data;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const fmt = (x: number | null, d = 2) => (x === null ? "–" : x.toFixed(d));

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const args = parse();
  const t0 = performance.now();
  const model = await loadModel(args.artifact);
  const H = model.meta.horizons_minutes.length;
  const shipped = alertPolicy(model.meta);
  const fleet = parseFleetConfig({ seed: args.seed, hosts: args.hosts, days: args.days });
  console.log(
    `lead-time benchmark: model ${model.meta.version}, held-out fleet seed ${args.seed}, ${args.hosts} hosts × ${args.days} days`,
  );

  const runs: HostRun[] = [];
  let scoringMs = 0;
  let steps = 0;
  for (let i = 0; i < args.hosts; i++) {
    const sim = simulateHost(fleet, i);
    const s0 = performance.now();
    runs.push(await scoreHost(sim, model));
    scoringMs += performance.now() - s0;
    steps += runs[i]!.rows;
    if ((i + 1) % Math.max(1, Math.floor(args.hosts / 10)) === 0 || i + 1 === args.hosts) {
      console.log(
        `  scored ${i + 1}/${args.hosts} hosts (${steps} steps, ${((scoringMs * 1000) / steps).toFixed(1)} µs/step in the scoring core)`,
      );
    }
  }

  const hostDays = runs.reduce((a, r) => a + (r.rows * r.stepSeconds) / 86_400, 0);
  const all: LabelledDowntime[] = runs.flatMap((r) => r.downtime.map((d) => ({ ...d })));
  const precursor = all.filter((d) => d.family !== "sudden_crash");
  const maxLeadMs = args["max-lead"] * 60_000;
  const evaluate = (flags: (run: HostRun) => boolean[], only = precursor) => {
    const episodes: Episode[] = runs.flatMap((r) => episodesFromFlags(r.host, r.stepEndMs, flags(r)));
    return evaluateEpisodes(episodes, only, all, hostDays, maxLeadMs);
  };
  const { enterSteps, exitSteps } = shipped.warning;

  // Our model: the shipped policy, and a sweep of the warning threshold (exit = EXIT_RATIO × enter).
  const withWarning = (enter: number): AlertPolicy => ({
    warning: { ...shipped.warning, enter, exit: enter * EXIT_RATIO },
    critical: { ...shipped.critical, enter: Math.max(shipped.critical.enter, enter) },
  });
  const ours: MethodPoint = {
    method: "model",
    knob: `shipped: p(${model.meta.horizons_minutes[shipped.warning.horizonIndex]}m) ≥ ${shipped.warning.enter}`,
    report: evaluate((r) => alertFlags(r, shipped, H)),
  };
  const sweep: MethodPoint[] = [];
  for (const enter of [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
    sweep.push({
      method: "model",
      knob: `p ≥ ${enter}`,
      report: evaluate((r) => alertFlags(r, withWarning(enter), H)),
    });
  }
  // Baselines on the same steps, with the same enter/exit step counts.
  const cache = <T>(f: (r: HostRun) => T) => {
    const m = new Map<HostRun, T>();
    return (r: HostRun) => m.get(r) ?? (m.set(r, f(r)), m.get(r)!);
  };
  const view = (r: HostRun) => ({ rows: r.rows, values: r.values, stepSeconds: r.stepSeconds });
  const ttb = cache((r) => linearTimeToBreach(view(r)));
  const zmax = cache((r) => ewmaMaxZ(view(r)));
  for (let k = 0; k <= 20; k++) {
    const s = k / 20;
    sweep.push({
      method: "static thresholds",
      knob: `level ${s.toFixed(2)} (cpu ≥ ${(70 + 29.5 * s).toFixed(1)} %, …)`,
      report: evaluate((r) => hysteresisFlags(staticCondition(view(r), s), enterSteps, exitSteps)),
    });
  }
  for (const minutes of [1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360]) {
    sweep.push({
      method: "linear extrapolation",
      knob: `breach within ${minutes} min`,
      report: evaluate((r) =>
        hysteresisFlags(
          Array.from(ttb(r), (x) => x <= minutes * 60),
          enterSteps,
          exitSteps,
        ),
      ),
    });
  }
  for (const k of [2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30]) {
    sweep.push({
      method: "EWMA z-score",
      knob: `z ≥ ${k}`,
      report: evaluate((r) =>
        hysteresisFlags(
          Array.from(zmax(r), (x) => x >= k),
          enterSteps,
          exitSteps,
        ),
      ),
    });
  }

  // Equal false-alarm budget: each baseline's best recall at ≤ the model's false alarms per host-day.
  const budget = ours.report.falseAlarmsPerHostDay;
  const atBudget = (method: string): MethodPoint & { withinBudget: boolean } => {
    const pts = sweep.filter((p) => p.method === method);
    const ok = pts.filter((p) => p.report.falseAlarmsPerHostDay <= budget + 1e-12);
    const pool =
      ok.length > 0
        ? ok
        : [pts.reduce((a, b) => (b.report.falseAlarmsPerHostDay < a.report.falseAlarmsPerHostDay ? b : a))];
    const best = pool.reduce((a, b) =>
      b.report.recall > a.report.recall ||
      (b.report.recall === a.report.recall &&
        (b.report.medianLeadMinutes ?? 0) > (a.report.medianLeadMinutes ?? 0))
        ? b
        : a,
    );
    return { ...best, withinBudget: ok.length > 0 };
  };
  const baselines = ["linear extrapolation", "static thresholds", "EWMA z-score"].map(atBudget);
  const linear = baselines[0]!;

  // Per family, for the model at its shipped thresholds.
  const families = [...new Set(all.map((d) => d.family))].sort();
  const perFamily = families.map((f) => {
    const only = all.filter((d) => d.family === f);
    const r = evaluate((run) => alertFlags(run, shipped, H), only);
    return {
      family: f,
      downtimes: only.length,
      recall: r.recall,
      medianLeadMinutes: r.medianLeadMinutes,
      p10LeadMinutes: r.p10LeadMinutes,
    };
  });

  const leadRatio =
    ours.report.medianLeadMinutes !== null && linear.report.medianLeadMinutes
      ? ours.report.medianLeadMinutes / linear.report.medianLeadMinutes
      : null;
  const targets = {
    medianLeadAtLeast15: (ours.report.medianLeadMinutes ?? 0) >= 15,
    precisionAtLeast0_9: ours.report.precision >= 0.9,
    recallAtLeast0_9: ours.report.recall >= 0.9,
    leadAtLeast2xLinear: leadRatio !== null && leadRatio >= 2,
  };

  const row = (p: MethodPoint, extra = "") =>
    `| ${p.method}${extra} | ${p.knob} | ${fmt(p.report.precision, 3)} | ${fmt(p.report.recall, 3)} | ${fmt(p.report.medianLeadMinutes, 1)} | ${fmt(p.report.p10LeadMinutes, 1)} | ${fmt(p.report.falseAlarmsPerHostDay, 3)} | ${p.report.episodes} |`;
  const md = [
    `# Lead-time benchmark`,
    ``,
    `Model \`${model.meta.version}\` on a held-out simulated fleet (seed ${args.seed}, ${args.hosts} hosts × ${args.days} days = ${hostDays.toFixed(0)} host-days, ${precursor.length} downtimes with a precursor + ${all.length - precursor.length} sudden crashes). Command: \`npm run bench:leadtime -- --seed ${args.seed} --hosts ${args.hosts} --days ${args.days}\`.`,
    ``,
    `Precision, recall and lead are event-level, over downtimes whose family has a precursor. A warning episode counts when a downtime of that host starts at most ${args["max-lead"]} min after its onset; lead = downtime start − onset. Baselines are taken at their best recall with no more false alarms per host-day than the model (budget ${fmt(budget, 3)}); all use the same ${enterSteps}-step enter / ${exitSteps}-step exit hysteresis.`,
    ``,
    `| method | operating point | precision | recall | median lead (min) | p10 lead (min) | false alarms / host-day | episodes |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    row(ours),
    ...baselines.map((b) => row(b, b.withinBudget ? "" : " (over budget at its least sensitive)")),
    ``,
    linear.withinBudget
      ? `Model median lead vs linear extrapolation at equal false alarms: **${leadRatio === null ? "n/a" : `${leadRatio.toFixed(2)}×`}**.`
      : `Linear extrapolation cannot get down to the model's false-alarm budget at any setting swept (its least sensitive, "${linear.knob}", raises ${fmt(linear.report.falseAlarmsPerHostDay / Math.max(budget, 1e-9), 1)}× the model's false alarms); at that setting the model's median lead is **${leadRatio === null ? "n/a" : `${leadRatio.toFixed(2)}×`}** its lead.`,
    ``,
    `Per failure family (model, shipped thresholds):`,
    ``,
    `| family | downtimes | recall | median lead (min) | p10 lead (min) |`,
    `| --- | --- | --- | --- | --- |`,
    ...perFamily.map(
      (f) =>
        `| ${f.family} | ${f.downtimes} | ${fmt(f.recall)} | ${fmt(f.medianLeadMinutes, 1)} | ${fmt(f.p10LeadMinutes, 1)} |`,
    ),
    ``,
    `Targets (families with a precursor): median lead ≥ 15 min ${targets.medianLeadAtLeast15 ? "✔" : "✘"}, precision ≥ 0.9 ${targets.precisionAtLeast0_9 ? "✔" : "✘"}, recall ≥ 0.9 ${targets.recallAtLeast0_9 ? "✔" : "✘"}, ≥ 2× linear extrapolation's lead ${targets.leadAtLeast2xLinear ? "✔" : "✘"}.`,
    ``,
    `Scoring core cost in Node (inference + anomaly + alerting, batches of 30 points): ${((scoringMs * 1000) / steps).toFixed(1)} µs/step.`,
    ``,
    `![one failing host](leadtime-host.svg)`,
    ``,
  ].join("\n");

  const target = resultsTarget(ROOT, { out: args.out, writeResults: args["write-results"] });
  const out = target.dir;
  mkdirSync(out, { recursive: true });
  const strip = (p: MethodPoint) => ({ method: p.method, knob: p.knob, ...p.report, leadMinutes: undefined });
  writeFileSync(
    join(out, "leadtime.json"),
    JSON.stringify(
      {
        model_version: model.meta.version,
        fleet: {
          seed: args.seed,
          hosts: args.hosts,
          days: args.days,
          hostDays,
          downtimes: all.length,
          withPrecursor: precursor.length,
        },
        maxLeadMinutes: args["max-lead"],
        falseAlarmBudgetPerHostDay: budget,
        model: strip(ours),
        baselinesAtBudget: baselines.map((b) => ({ ...strip(b), withinBudget: b.withinBudget })),
        leadRatioVsLinear: leadRatio,
        perFamily,
        targets,
        sweep: sweep.map(strip),
        scoringMicrosPerStep: (scoringMs * 1000) / steps,
      },
      null,
      2,
    ) + "\n",
  );
  writeFileSync(join(out, "leadtime.md"), md);
  writeFileSync(
    join(out, "leadtime-host.svg"),
    picture(runs, shipped, model.meta.horizons_minutes, ttb, maxLeadMs),
  );
  console.log(`\n${md}`);
  console.log(
    `wrote leadtime.{json,md} and leadtime-host.svg in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(resultsNote(ROOT, target));
}

/** Picture of one host with a detected precursor failure (memory leak preferred). */
function picture(
  runs: HostRun[],
  policy: AlertPolicy,
  horizons: number[],
  ttb: (r: HostRun) => Float64Array,
  maxLeadMs: number,
): string {
  const H = horizons.length;
  // A representative detected failure: the one whose lead is closest to the median lead of all detected
  // failures with a precursor (memory leaks first, as the most familiar picture).
  const detected: { run: HostRun; d: HostRun["downtime"][number]; onset: number }[] = [];
  for (const run of runs) {
    const eps = episodesFromFlags(run.host, run.stepEndMs, alertFlags(run, policy, H));
    for (const d of run.downtime) {
      const e = eps.find((x) => d.startMs >= x.onsetMs && d.startMs - x.onsetMs <= maxLeadMs);
      if (e && d.family !== "sudden_crash") detected.push({ run, d, onset: e.onsetMs });
    }
  }
  const leads = detected.map((x) => x.d.startMs - x.onset).sort((a, b) => a - b);
  const median = leads[Math.floor(leads.length / 2)] ?? 0;
  const pool = detected.some((x) => x.d.family === "memory_leak")
    ? detected.filter((x) => x.d.family === "memory_leak")
    : detected;
  const chosen = pool.reduce<(typeof detected)[number] | null>(
    (best, x) =>
      best === null ||
      Math.abs(x.d.startMs - x.onset - median) < Math.abs(best.d.startMs - best.onset - median)
        ? x
        : best,
    null,
  );
  if (!chosen)
    return renderHostSvg({
      title: "no detected failure to show",
      stepEndMs: [],
      metrics: [],
      risk: [],
      alerts: [],
      downtime: [],
    });
  const { run, d } = chosen;
  const from = d.startMs - 3 * 3_600_000;
  const to = d.endMs + 3_600_000;
  const idx: number[] = [];
  for (let t = 0; t < run.rows; t++) if (run.stepEndMs[t]! >= from && run.stepEndMs[t]! <= to) idx.push(t);
  const flags = alertFlags(run, policy, H);
  const alerts = episodesFromFlags(run.host, run.stepEndMs, flags)
    .filter((e) => e.endMs >= from && e.onsetMs <= to)
    .map((e) => ({ startMs: e.onsetMs, endMs: e.endMs, level: "warning" as const }));
  const linearOnset = idx.find((t) => ttb(run)[t]! <= 30 * 60);
  const lead = Math.round((d.startMs - chosen.onset) / 60_000);
  return renderHostSvg({
    title: `${run.host} — ${d.family}: warned ${lead} min before downtime`,
    stepEndMs: idx.map((t) => run.stepEndMs[t]!),
    metrics: METRICS.map((m, i) => ({
      name: m,
      unit: METRIC_SPECS[m].unit,
      values: idx.map((t) => {
        const v = run.values[t * N_METRICS + i]!;
        return Number.isNaN(v) ? null : v;
      }),
      breach: METRIC_SPECS[m].breach,
    })),
    risk: horizons.map((h, k) => ({ name: `p(${h}m)`, values: idx.map((t) => run.risk[t * H + k]!) })),
    threshold: { enter: policy.warning.enter, exit: policy.warning.exit },
    alerts,
    downtime: run.downtime
      .filter((x) => x.endMs >= from && x.startMs <= to)
      .map((x) => ({ startMs: x.startMs, endMs: x.endMs, label: x.family })),
    benign: run.benign
      .filter((b) => b.endMs >= from && b.startMs <= to)
      .map((b) => ({ startMs: b.startMs, endMs: b.endMs, kind: b.kind })),
    baselines:
      linearOnset === undefined
        ? []
        : [{ name: "linear extrapolation (30 min)", onsetMs: run.stepEndMs[linearOnset]! }],
  });
}

await main();
