import type { Contributor, Level, Prediction } from "../../contracts/prediction.ts";
import { initialAlertState, stepAlert, type AlertPolicy, type AlertState } from "./alert.ts";
import {
  FeatureBuilder,
  N_FEATURES,
  maskIndex,
  scaledIndex,
  urgencyIndex,
  zIndex,
  type FeatureState,
} from "./features.ts";
import { alertPolicy, breachLevels, type ModelMeta } from "./meta.ts";
import { METRICS, N_METRICS, type MetricName, type MetricVector } from "./metrics.ts";
import { pointVector, type RawPoint } from "./offline.ts";
import { Resampler, type ResampledStep, type ResamplerState } from "./resample.ts";

/** Recurrent state of the LSTM for one host: (layers × hidden) each. */
export interface RecurrentState {
  h: Float32Array;
  c: Float32Array;
}

/** Output of one model call over `steps` rows (batch 1): row-major per step. */
export interface ModelOutput {
  riskLogit: Float32Array;
  forecast: Float32Array;
  state: RecurrentState;
}

/**
 * What the scorer needs from the model runtime (model/core/lstm.ts implements it with
 * onnxruntime-web; tests may use any implementation of the same contract).
 */
export interface RecurrentModel {
  zeroState(): RecurrentState;
  /** Runs `steps` rows (steps × N_FEATURES) from `state`, batch 1. */
  run(x: Float32Array, steps: number, state: RecurrentState): Promise<ModelOutput>;
  /**
   * Optional: `steps − 1` rows to commit then the open row, in one call; outputs for all `steps` rows,
   * `state` after the committed rows. Saves the separate call that evaluates the open step.
   */
  runCommitAndPeek?(x: Float32Array, steps: number, state: RecurrentState): Promise<ModelOutput>;
  /**
   * Runs `batch` independent sequences of `steps` rows (batch × steps × N_FEATURES), each starting
   * from the same batch-1 `state` — the what-if replays behind `contributors`.
   */
  runBranches(
    x: Float32Array,
    batch: number,
    steps: number,
    state: RecurrentState,
  ): Promise<{ riskLogit: Float32Array }>;
}

/** Per-metric anomaly detector as the scorer uses it (model/core/anomaly implements it). */
export interface MetricAnomalyDetector {
  /**
   * Folds one step in: the raw value (null = missing) and, when the model forecast this step, the
   * forecast error in per-host z units. Returns the anomaly score, fraction 0..1.
   */
  update(value: number | null, forecastError: number | null, timestampMs: number): number;
  /** An independent copy (for evaluating the open step without committing it). */
  clone(): MetricAnomalyDetector;
  toJSON(): unknown;
}

export interface AnomalyFactory {
  create(metric: MetricName): MetricAnomalyDetector;
  restore(metric: MetricName, state: unknown): MetricAnomalyDetector;
}

/** Serialisable scorer state (plain JSON), persisted by the Durable Object. */
export interface ScorerState {
  version: 1;
  host: string;
  modelVersion: string;
  resampler: ResamplerState;
  features: FeatureState;
  lstm: { h: number[]; c: number[] };
  anomaly: unknown[];
  alert: AlertState;
  /** Forecast (z units) made at the last committed step for the next one; null = none. */
  lastForecast: (number | null)[];
  stepsSeen: number;
  /** Recent committed feature rows and LSTM states at some of their boundaries, for attributions. */
  replay: {
    firstStep: number;
    /** The rows from `firstStep` on, N_FEATURES values each, one after another. */
    values?: number[];
    /** The same rows one array each: how states written before 2026-11-24 hold them (read only). */
    rows?: number[][];
    snapshots: { step: number; h: number[]; c: number[] }[];
  };
}

/**
 * What-if replays start from a stored LSTM state at least REPLAY_MIN steps back (and fewer than
 * 2 × REPLAY_MIN: see `runCommitted`)…
 */
const REPLAY_MIN = 30;
/** …kept at the end of a commit when the newest stored one is at least this many steps older. */
const SNAPSHOT_SPACING = 15;
/** Contributors are attributed by replay when the warning-horizon risk is at least this (0..1). */
const ATTRIBUTION_MIN_RISK = 0.02;

export interface ScorerOptions {
  meta: ModelMeta;
  model: RecurrentModel;
  anomaly: AnomalyFactory;
  /** Called for every committed step (benchmarks and evaluation; unused at the edge). */
  onStep?: (step: CommittedStep) => void;
}

export interface IngestResult {
  /** Prediction as of the newest point (null only when no point was ever accepted). */
  prediction: Prediction | null;
  accepted: number;
  /** Per input point (input order): false when it arrived after its step had closed (dropped). */
  acceptedMask: boolean[];
  committedSteps: number;
}

/** The open step as a commit-and-peek call evaluated it: its feature row and its risk logits. */
interface Peeked {
  row: Float32Array;
  riskLogit: Float32Array;
}

/** One committed step as the scorer saw it. */
export interface CommittedStep {
  bucketStartMs: number;
  values: MetricVector;
  /** Calibrated probability per horizon. */
  risk: number[];
  level: Level;
  anomaly: number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The per-host scoring engine the Durable Object runs: resample → features → stateful LSTM (one step
 * per new point, state carried) → calibrated risk per horizon, alert level with hysteresis, per-metric
 * anomaly from forecast errors, time-to-breach and contributors. The newest, still-open step is
 * evaluated provisionally (`peek`) so a prediction always reflects the latest point, without committing
 * it.
 *
 * @example
 * const s = HostScorer.create("host-1", { meta, model, anomaly });
 * const prediction = await s.ingest([{ timestamp: Date.now(), cpu_usage: 75.5, memory_usage: 82.3,
 *   network_latency: 120, error_rate: 0.05 }]);
 * storage.put("scorer", s.toJSON());
 */
export class HostScorer {
  private readonly meta: ModelMeta;
  private readonly model: RecurrentModel;
  private readonly policy: AlertPolicy;
  private readonly breach: Record<MetricName, number>;
  private readonly resampler: Resampler;
  private readonly features: FeatureBuilder;
  private readonly onStep: ((step: CommittedStep) => void) | undefined;
  private anomaly: MetricAnomalyDetector[];
  private state: RecurrentState;
  private alert: AlertState;
  private lastForecast: (number | null)[];
  private stepsSeen: number;
  private replayRows: Float32Array[];
  private replayFirstStep: number;
  private snapshots: { step: number; state: RecurrentState }[];
  readonly host: string;

  private constructor(host: string, o: ScorerOptions, saved?: ScorerState) {
    this.host = host;
    this.meta = o.meta;
    this.model = o.model;
    this.onStep = o.onStep;
    this.policy = alertPolicy(o.meta);
    this.breach = breachLevels(o.meta);
    const stepMs = o.meta.step_seconds * 1000;
    if (saved) {
      this.resampler = new Resampler({ state: saved.resampler });
      this.features = new FeatureBuilder(saved.features, o.meta.step_seconds);
      this.anomaly = METRICS.map((m, i) => o.anomaly.restore(m, saved.anomaly[i]));
      this.state = { h: new Float32Array(saved.lstm.h), c: new Float32Array(saved.lstm.c) };
      this.alert = { ...saved.alert };
      this.lastForecast = [...saved.lastForecast];
      this.stepsSeen = saved.stepsSeen;
      this.replayFirstStep = saved.replay.firstStep;
      const flat = new Float32Array(saved.replay.values ?? saved.replay.rows?.flat() ?? []);
      this.replayRows = [];
      for (let o = 0; o + N_FEATURES <= flat.length; o += N_FEATURES)
        this.replayRows.push(flat.subarray(o, o + N_FEATURES));
      this.snapshots = saved.replay.snapshots.map((x) => ({
        step: x.step,
        state: { h: new Float32Array(x.h), c: new Float32Array(x.c) },
      }));
    } else {
      this.resampler = new Resampler({ stepMs });
      this.features = new FeatureBuilder(undefined, o.meta.step_seconds);
      this.anomaly = METRICS.map((m) => o.anomaly.create(m));
      this.state = o.model.zeroState();
      this.alert = initialAlertState();
      this.lastForecast = new Array<null>(N_METRICS).fill(null);
      this.stepsSeen = 0;
      this.replayFirstStep = 0;
      this.replayRows = [];
      this.snapshots = [{ step: 0, state: this.state }];
    }
  }

  static create(host: string, o: ScorerOptions): HostScorer {
    return new HostScorer(host, o);
  }

  /**
   * Restores a scorer from `toJSON()` output. A state written by another model version starts over
   * (its recurrent state means nothing to a different network); `predict()` then returns null until
   * the host sends again.
   */
  static restore(saved: ScorerState, o: ScorerOptions): HostScorer {
    if (saved.version !== 1 || saved.modelVersion !== o.meta.version) return new HostScorer(saved.host, o);
    return new HostScorer(saved.host, o, saved);
  }

  /** Points dropped so far because they arrived after their step had closed. */
  get droppedLate(): number {
    return this.resampler.droppedLate;
  }

  /** Alert level after the last committed step. */
  get level(): Level {
    return this.alert.level;
  }

  /**
   * Ingests a host's points (any order; they are stably sorted by timestamp here) and returns the prediction
   * as of the newest point. Closed steps are committed together (one model call, split only where a
   * replay snapshot is due); the open step is peeked.
   */
  async ingest(points: readonly RawPoint[]): Promise<IngestResult> {
    const order = points.map((_, i) => i);
    // Senders almost always send in time order: sort only when they did not.
    if (points.some((p, i) => i > 0 && p.timestamp < points[i - 1]!.timestamp))
      order.sort((a, b) => points[a]!.timestamp - points[b]!.timestamp || a - b);
    const closed: ResampledStep[] = [];
    const acceptedMask = new Array<boolean>(points.length).fill(false);
    let accepted = 0;
    for (const i of order) {
      const p = points[i]!;
      const r = this.resampler.push(p.timestamp, pointVector(p));
      if (r.accepted) {
        accepted++;
        acceptedMask[i] = true;
      }
      for (const s of r.closed) closed.push(s);
    }
    const peeked = closed.length > 0 ? await this.commit(closed) : null;
    return {
      prediction: await this.predictOpen(peeked),
      accepted,
      acceptedMask,
      committedSteps: closed.length,
    };
  }

  /** Prediction as of the newest point (peeking the open step) without ingesting anything. */
  async predict(): Promise<Prediction | null> {
    return this.predictOpen(null);
  }

  /**
   * The prediction for the open step; `peeked` is that step already evaluated by the commit that just
   * ran (same row, same state), else it is evaluated here.
   */
  private async predictOpen(peeked: Peeked | null): Promise<Prediction | null> {
    const open = this.resampler.peek();
    if (open === null) return null;
    const row = peeked?.row ?? this.features.row(open.values, false);
    const riskLogit = peeked?.riskLogit ?? (await this.model.run(row, 1, this.state)).riskLogit;
    const risk = this.calibrate(riskLogit, 0);
    const asOf = this.resampler.lastPointMs ?? open.bucketStartMs;
    const alert = stepAlert(this.policy, this.alert, risk, asOf);
    const anomaly = this.peekAnomaly(open, row);
    const contributors = await this.contributors(open, row, risk, anomaly);
    return {
      host: this.host,
      as_of: new Date(asOf).toISOString(),
      risk: Object.fromEntries(this.meta.horizons_minutes.map((m, h) => [`${m}m`, round(risk[h]!)])),
      level: alert.level,
      level_since: alert.sinceMs === null ? null : new Date(alert.sinceMs).toISOString(),
      downtime_within_minutes: this.meta.horizons_minutes.find((_, h) => risk[h]! >= 0.5) ?? null,
      time_to_breach: this.timeToBreach(open.values),
      anomaly: Object.fromEntries(METRICS.map((m, i) => [m, round(anomaly[i]!)])) as Record<
        MetricName,
        number
      >,
      contributors,
      model_version: this.meta.version,
      steps_seen: this.stepsSeen,
    };
  }

  /**
   * Metrics driving the risk. When the warning-horizon risk is worth explaining, the model is replayed
   * from a stored state 30–60 steps back, once as observed and once per metric with that metric held
   * at the host's own normal level (scaled = mean, z = 0); a metric's `risk_delta` is how much that
   * lowers the final risk. All five replays run as one batched call. Otherwise metrics are ranked by
   * anomaly alone.
   */
  private async contributors(
    open: ResampledStep,
    row: Float32Array,
    risk: number[],
    anomaly: number[],
  ): Promise<Contributor[]> {
    const wi = this.policy.warning.horizonIndex;
    const describe = (i: number, delta: number | null): Contributor => ({
      metric: METRICS[i]!,
      risk_delta: delta === null ? null : round(delta),
      value: open.values[i] ?? null,
      z: row[maskIndex(i)] === 1 ? round(row[zIndex(i)]!) : null,
      anomaly: round(anomaly[i]!),
    });
    if (risk[wi]! < ATTRIBUTION_MIN_RISK) {
      return METRICS.map((_, i) => describe(i, null))
        .filter((c) => c.anomaly >= 0.5)
        .sort((a, b) => b.anomaly - a.anomaly)
        .slice(0, 3);
    }
    const snap = this.snapshots[0]!;
    const rows = [...this.replayRows.slice(snap.step - this.replayFirstStep), row];
    const L = rows.length;
    const B = 1 + N_METRICS;
    const x = new Float32Array(B * L * N_FEATURES);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < L; t++) {
        const o = (b * L + t) * N_FEATURES;
        x.set(rows[t]!, o);
        const i = b - 1;
        if (i >= 0 && x[o + maskIndex(i)] === 1) {
          x[o + scaledIndex(i)] = this.features.normalizer.mean(i);
          x[o + zIndex(i)] = 0;
          x[o + urgencyIndex(i)] = 0;
        }
      }
    }
    const out = await this.model.runBranches(x, B, L, snap.state);
    const H = this.meta.horizons_minutes.length;
    const last = (b: number) => this.calibrate(out.riskLogit, (b * L + L - 1) * H)[wi]!;
    const base = last(0);
    return METRICS.map((_, i) => describe(i, base - last(1 + i)))
      .filter((c) => (c.risk_delta ?? 0) > 0.005)
      .sort((a, b) => b.risk_delta! - a.risk_delta! || b.anomaly - a.anomaly)
      .slice(0, 3);
  }

  toJSON(): ScorerState {
    return {
      version: 1,
      host: this.host,
      modelVersion: this.meta.version,
      resampler: this.resampler.toJSON(),
      features: this.features.toJSON(),
      lstm: { h: numbers(this.state.h), c: numbers(this.state.c) },
      anomaly: this.anomaly.map((d) => d.toJSON()),
      alert: { ...this.alert },
      lastForecast: [...this.lastForecast],
      stepsSeen: this.stepsSeen,
      replay: {
        firstStep: this.replayFirstStep,
        values: numbers(...this.replayRows),
        snapshots: this.snapshots.map((x) => ({
          step: x.step,
          h: numbers(x.state.h),
          c: numbers(x.state.c),
        })),
      },
    };
  }

  private get stepMs(): number {
    return this.meta.step_seconds * 1000;
  }

  private calibrate(logits: Float32Array, offset: number): number[] {
    const { a, b } = this.meta.calibration;
    const H = a.length;
    const p = new Array<number>(H);
    for (let h = 0; h < H; h++) p[h] = sigmoid(a[h]! * logits[offset + h]! + b[h]!);
    return p;
  }

  /** Commits closed steps: one model call for all of them, then per-step anomaly, alert and trend. */
  private async commit(steps: ResampledStep[]): Promise<Peeked | null> {
    const k = steps.length;
    // With a commit-and-peek model the open step's row rides along (built after the committed rows
    // moved the normaliser and trend windows, exactly as `predict` would build it).
    const open = this.model.runCommitAndPeek ? this.resampler.peek() : null;
    const x = new Float32Array((open ? k + 1 : k) * N_FEATURES);
    for (let t = 0; t < k; t++)
      this.features.row(steps[t]!.values, true, x.subarray(t * N_FEATURES, (t + 1) * N_FEATURES));
    if (open) this.features.row(open.values, false, x.subarray(k * N_FEATURES));
    const out = await this.runCommitted(x, k, open !== null);
    const H = this.meta.horizons_minutes.length;
    for (let t = 0; t < k; t++) {
      const step = steps[t]!;
      const row = x.subarray(t * N_FEATURES, (t + 1) * N_FEATURES);
      const anomaly = this.updateAnomaly(this.anomaly, step, row, this.lastForecast);
      for (let i = 0; i < N_METRICS; i++) this.lastForecast[i] = out.forecast[t * N_METRICS + i]!;
      const risk = this.calibrate(out.riskLogit, t * H);
      this.alert = stepAlert(this.policy, this.alert, risk, step.bucketStartMs + this.stepMs);
      this.stepsSeen++;
      this.onStep?.({
        bucketStartMs: step.bucketStartMs,
        values: step.values,
        risk,
        level: this.alert.level,
        anomaly,
      });
    }
    this.state = out.state;
    if (!open) return null;
    return { row: x.subarray(k * N_FEATURES), riskLogit: out.riskLogit.subarray(k * H, (k + 1) * H) };
  }

  /**
   * Runs k committed rows from the current state — one model call, or two when k > REPLAY_MIN: the
   * batch is then split REPLAY_MIN steps before its end, whose state is stored for replays. The state
   * after the batch is stored too when the newest stored one is SNAPSHOT_SPACING or more steps older.
   * So the newest stored state at least REPLAY_MIN steps old is always fewer than 2 × REPLAY_MIN steps
   * old, whatever the batch sizes. Updates `state`, the snapshots and the replay rows; returns the
   * concatenated outputs. With `peek`, x carries the open step's row after the k committed ones: the
   * last call is then a commit-and-peek call, and the outputs have that row too (the state does not).
   */
  private async runCommitted(x: Float32Array, k: number, peek: boolean): Promise<ModelOutput> {
    const first = this.stepsSeen;
    const end = first + k;
    const cuts = k > REPLAY_MIN ? [k - REPLAY_MIN, k] : [k];
    const H = this.meta.horizons_minutes.length;
    const rows = peek ? k + 1 : k;
    const riskLogit = new Float32Array(rows * H);
    const forecast = new Float32Array(rows * N_METRICS);
    let state = this.state;
    let from = 0;
    for (const to of cuts) {
      const o =
        peek && to === k
          ? await this.model.runCommitAndPeek!(x.subarray(from * N_FEATURES), to - from + 1, state)
          : await this.model.run(x.subarray(from * N_FEATURES, to * N_FEATURES), to - from, state);
      riskLogit.set(o.riskLogit, from * H);
      forecast.set(o.forecast, from * N_METRICS);
      state = o.state;
      const newest = this.snapshots[this.snapshots.length - 1]!.step;
      if (to < k || first + to - newest >= SNAPSHOT_SPACING) this.snapshots.push({ step: first + to, state });
      from = to;
    }
    // Keep the newest snapshot that is at least REPLAY_MIN steps old (and everything newer).
    while (this.snapshots.length > 1 && this.snapshots[1]!.step <= end - REPLAY_MIN) this.snapshots.shift();
    // Replay rows cover [oldest kept snapshot, end): drop older rows, add only the new rows that stay
    // (views into `x`, which nothing writes to after this call).
    const keepFrom = this.snapshots[0]!.step;
    if (keepFrom > this.replayFirstStep) {
      this.replayRows.splice(0, Math.min(this.replayRows.length, keepFrom - this.replayFirstStep));
      this.replayFirstStep = keepFrom;
    }
    for (let t = Math.max(0, this.replayFirstStep - first); t < k; t++)
      this.replayRows.push(x.subarray(t * N_FEATURES, (t + 1) * N_FEATURES));
    return { riskLogit, forecast, state };
  }

  private updateAnomaly(
    detectors: MetricAnomalyDetector[],
    step: ResampledStep,
    row: Float32Array,
    forecast: (number | null)[],
  ): number[] {
    const scores = new Array<number>(N_METRICS);
    for (let i = 0; i < N_METRICS; i++) {
      const v = step.values[i] ?? null;
      const f = forecast[i];
      const err = v !== null && f !== null && f !== undefined ? row[zIndex(i)]! - f : null;
      scores[i] = detectors[i]!.update(v, err, step.bucketStartMs);
    }
    return scores;
  }

  /** Anomaly as if the open step were committed, on copies of the detectors. */
  private peekAnomaly(open: ResampledStep, row: Float32Array): number[] {
    const copies = this.anomaly.map((d) => d.clone());
    return this.updateAnomaly(copies, open, row, this.lastForecast);
  }

  private timeToBreach(open: MetricVector): Partial<Record<MetricName, number>> {
    const out: Partial<Record<MetricName, number>> = {};
    METRICS.forEach((m, i) => {
      const s = this.features.timeToBreach(i, open[i] ?? null, this.breach[m]);
      if (s !== null) out[m] = Math.round(s);
    });
    return out;
  }
}

/** The values of typed arrays as one plain array (a loop: `Array.from` is several times slower). */
function numbers(...parts: Float32Array[]): number[] {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Array<number>(n);
  let o = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[o++] = p[i]!;
  return out;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
