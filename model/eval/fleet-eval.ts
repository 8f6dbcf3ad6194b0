/**
 * Runs the production scoring core (HostScorer + ONNX model through onnxruntime-web) over simulated
 * hosts and keeps what an evaluation needs per committed step. Shared by `npm run bench:leadtime`,
 * threshold tuning in `npm run train`, and tests.
 */
import type { Level } from "../../contracts/prediction.ts";
import { initialAlertState, stepAlert, type AlertPolicy } from "../core/alert.ts";
import { N_METRICS } from "../core/metrics.ts";
import { HostScorer, type CommittedStep } from "../core/scorer.ts";
import type { LoadedModel } from "../runtime/node.ts";
import type { BenignEvent, Downtime, HostSimulation } from "../../simulator/fleet.ts";

export interface HostRun {
  host: string;
  downtime: Downtime[];
  benign: BenignEvent[];
  rows: number;
  stepSeconds: number;
  /** End of each committed step (when its verdict is known), epoch ms. */
  stepEndMs: Float64Array;
  /** Resampled values, rows × N_METRICS, NaN = missing. */
  values: Float64Array;
  /** Calibrated risk, rows × horizons. */
  risk: Float32Array;
  /** Anomaly score, rows × N_METRICS. */
  anomaly: Float32Array;
  /** Level the shipped policy gave each step. */
  level: Level[];
}

/**
 * Feeds a simulated host's points to a fresh HostScorer in batches of `batchPoints` (like an agent
 * that ships every few minutes) and records every committed step.
 */
export async function scoreHost(sim: HostSimulation, model: LoadedModel, batchPoints = 30): Promise<HostRun> {
  const H = model.meta.horizons_minutes.length;
  const steps: CommittedStep[] = [];
  const scorer = HostScorer.create(sim.host, { ...model.options, onStep: (s) => steps.push(s) });
  for (let i = 0; i < sim.points.length; i += batchPoints) {
    await scorer.ingest(sim.points.slice(i, i + batchPoints));
  }
  const rows = steps.length;
  const stepMs = model.meta.step_seconds * 1000;
  const run: HostRun = {
    host: sim.host,
    downtime: sim.downtime,
    benign: sim.benign,
    rows,
    stepSeconds: model.meta.step_seconds,
    stepEndMs: new Float64Array(rows),
    values: new Float64Array(rows * N_METRICS),
    risk: new Float32Array(rows * H),
    anomaly: new Float32Array(rows * N_METRICS),
    level: new Array<Level>(rows),
  };
  steps.forEach((s, t) => {
    run.stepEndMs[t] = s.bucketStartMs + stepMs;
    for (let i = 0; i < N_METRICS; i++) {
      run.values[t * N_METRICS + i] = s.values[i] ?? Number.NaN;
      run.anomaly[t * N_METRICS + i] = s.anomaly[i]!;
    }
    run.risk.set(s.risk, t * H);
    run.level[t] = s.level;
  });
  return run;
}

/** Re-applies an alert policy to a recorded risk series (threshold sweeps without re-inference). */
export function alertFlags(run: HostRun, policy: AlertPolicy, horizons: number): boolean[] {
  let s = initialAlertState();
  const out = new Array<boolean>(run.rows);
  for (let t = 0; t < run.rows; t++) {
    s = stepAlert(policy, s, run.risk.subarray(t * horizons, (t + 1) * horizons), run.stepEndMs[t]!);
    out[t] = s.level !== "ok";
  }
  return out;
}
