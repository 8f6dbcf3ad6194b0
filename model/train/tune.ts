/**
 * Step 4 of `npm run train`: choose the alert thresholds the artifact ships with.
 *
 * The trained model runs through the production scoring core over a tuning fleet simulated with its own
 * seed (neither the training fleet nor the benchmark's held-out fleet) at the natural failure rate.
 * The warning rule (horizon = longest, enter/exit probability, enter steps) is the most sensitive one
 * whose event-level precision on that fleet is at least `targetPrecision`; ties go to longer median
 * lead. The critical rule is fixed: the shortest horizon's calibrated probability ≥ 0.5.
 */
import { EXIT_RATIO, type AlertPolicy } from "../core/alert.ts";
import { alertPolicy, type ModelMeta } from "../core/meta.ts";
import { episodesFromFlags, evaluateEpisodes, type EventReport } from "../eval/leadtime.ts";
import { alertFlags, scoreHost, type HostRun } from "../eval/fleet-eval.ts";
import type { LoadedModel } from "../runtime/node.ts";
import { parseFleetConfig, simulateHost } from "../../simulator/fleet.ts";

export interface TuneOptions {
  seed: number;
  hosts: number;
  days: number;
  targetPrecision: number;
  maxLeadMinutes: number;
}

export interface TuneResult {
  thresholds: ModelMeta["thresholds"] & { tuning: Record<string, unknown> };
  report: EventReport;
}

export async function tuneThresholds(
  model: LoadedModel,
  o: TuneOptions,
  log: (m: string) => void = console.log,
): Promise<TuneResult> {
  const fleet = parseFleetConfig({ seed: o.seed, hosts: o.hosts, days: o.days });
  const runs: HostRun[] = [];
  for (let i = 0; i < o.hosts; i++) {
    runs.push(await scoreHost(simulateHost(fleet, i), model));
    if ((i + 1) % Math.max(1, Math.floor(o.hosts / 5)) === 0)
      log(`  tuning fleet: scored ${i + 1}/${o.hosts} hosts`);
  }
  const H = model.meta.horizons_minutes.length;
  const all = runs.flatMap((r) => r.downtime);
  const precursor = all.filter((d) => d.family !== "sudden_crash");
  const hostDays = runs.reduce((a, r) => a + (r.rows * r.stepSeconds) / 86_400, 0);
  const base = alertPolicy(model.meta);
  const longest = model.meta.horizons_minutes.length - 1;
  const critical = { horizonIndex: 0, enter: 0.5, exit: 0.3, enterSteps: 1, exitSteps: 5 };
  const candidates: { policy: AlertPolicy; report: EventReport }[] = [];
  for (const enterSteps of [1, 2, 3]) {
    for (let k = 1; k <= 19; k++) {
      const enter = k / 20;
      const policy: AlertPolicy = {
        warning: {
          horizonIndex: longest,
          enter,
          exit: enter * EXIT_RATIO,
          enterSteps,
          exitSteps: base.warning.exitSteps,
        },
        critical: { ...critical, enter: Math.max(critical.enter, enter) },
      };
      const episodes = runs.flatMap((r) => episodesFromFlags(r.host, r.stepEndMs, alertFlags(r, policy, H)));
      candidates.push({
        policy,
        report: evaluateEpisodes(episodes, precursor, all, hostDays, o.maxLeadMinutes * 60_000),
      });
    }
  }
  const ok = candidates.filter((c) => c.report.precision >= o.targetPrecision);
  const better = (a: (typeof candidates)[number], b: (typeof candidates)[number]) =>
    b.report.recall > a.report.recall + 1e-9 ||
    (Math.abs(b.report.recall - a.report.recall) <= 1e-9 &&
      (b.report.medianLeadMinutes ?? 0) > (a.report.medianLeadMinutes ?? 0))
      ? b
      : a;
  const best =
    ok.length > 0
      ? ok.reduce(better)
      : candidates.reduce((a, b) => (b.report.precision > a.report.precision ? b : a));
  const w = best.policy.warning;
  const c = best.policy.critical;
  const minutes = model.meta.horizons_minutes;
  return {
    report: best.report,
    thresholds: {
      source: `tuned by model/train/tune.ts on a tuning fleet (seed ${o.seed}, ${o.hosts} hosts × ${o.days} days, natural failure rate)`,
      warning: {
        horizon_minutes: minutes[w.horizonIndex]!,
        enter: w.enter,
        exit: round(w.exit),
        enter_steps: w.enterSteps,
        exit_steps: w.exitSteps,
      },
      critical: {
        horizon_minutes: minutes[c.horizonIndex]!,
        enter: c.enter,
        exit: c.exit,
        enter_steps: c.enterSteps,
        exit_steps: c.exitSteps,
      },
      tuning: {
        objective: `max event recall (families with a precursor) subject to precision ≥ ${o.targetPrecision}; ties → longer median lead`,
        met_target: ok.length > 0,
        max_lead_minutes: o.maxLeadMinutes,
        precision: round(best.report.precision),
        recall: round(best.report.recall),
        median_lead_minutes: best.report.medianLeadMinutes,
        false_alarms_per_host_day: round(best.report.falseAlarmsPerHostDay),
        downtimes: best.report.downtimes,
      },
    },
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
