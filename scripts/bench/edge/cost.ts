/**
 * Benchmark 1 — cost per point inside workerd, driven from Node against the bench Worker
 * (scripts/bench/edge/worker/). Each loop runs entirely inside workerd and reports its own timings; this
 * side only chooses the loops, checks the answers and derives µs/point.
 */
import { z } from "zod";
import { requestJson } from "./http.ts";

export const LAYERS = ["inference", "scorer", "store", "rpc"] as const;
export type Layer = (typeof LAYERS)[number];

/** What each layer adds (for the report). */
export const LAYER_DOC: Record<Layer, string> = {
  inference: "model inference alone (LstmModel.run through onnxruntime-web)",
  scorer:
    "scoring core + inference (HostScorer.ingest: resample, features, LSTM, anomaly, alerts, prediction)",
  store:
    "+ storage (HostMonitor.ingest inside the object: validation, duplicate check, scoring, one transactionSync)",
  rpc: "end to end through Worker→DO RPC (stub.ingest from the Worker)",
};

const CostAnswer = z.object({
  points: z.number().int(),
  calls: z.number().int(),
  elapsedMs: z.number().nonnegative(),
  segments: z
    .array(z.object({ points: z.number().int().positive(), elapsedMs: z.number().nonnegative() }))
    .min(1),
});

const StatsAnswer = z.object({
  scorerBytes: z.number().int().nonnegative(),
  kvBytes: z.number().int().nonnegative(),
  events: z.record(z.string(), z.number().int()),
  eventBodyBytes: z.record(z.string(), z.number()),
  databaseBytes: z.number().int().nonnegative(),
  scorerSerializeUs: z.number().nonnegative().nullable(),
});

export const ENGINES = ["ort", "plain-ts"] as const;
export type Engine = (typeof ENGINES)[number];

export interface CostRow {
  layer: Layer;
  /** onnxruntime-web, or the plain-TS forward (inference layer only). */
  engine: Engine;
  mode: "incremental" | "window";
  /** Points per call (1 = one call per point). */
  batch: number;
  /** Steps re-run per point (window mode), else null. */
  window: number | null;
  points: number;
  calls: number;
  elapsed_ms: number;
  us_per_point: number;
  /** µs/point over the first and the last timing segment of the host's history. */
  early_us_per_point: number;
  late_us_per_point: number;
  segment_points: number;
  /** µs/point of every consecutive segment, in history order. */
  segments_us_per_point: number[];
}

export interface StateRow {
  batch: number;
  points: number;
  /** Bytes of the stored scorer state: JSON part + Float64 BLOB (the field name predates the BLOB). */
  scorer_json_bytes: number;
  /** µs per `toJSON` + `encodeState` of that state (done on every ingest call). */
  scorer_serialize_us: number | null;
  kv_bytes: number;
  events: Record<string, number>;
  events_per_point: number;
  event_body_bytes: Record<string, number>;
  database_bytes: number;
}

export interface CostPlan {
  points: number;
  windowPoints: number;
  /** Points of the plain-TS inference loops (incremental, and window re-runs). */
  plainPoints: number;
  plainWindowPoints: number;
  batches: number[];
  windows: number[];
  segment: number;
  /** A longer store-layer history (points, batch) for cost early vs late. */
  long: { points: number; batch: number };
  /** The anomaly loop: points through the scorer to record inputs, then ≥ minMs of timed passes. */
  anomaly: { points: number; minMs: number };
  seed: number;
}

/**
 * The floor of a Worker→DO ingest call at one batch size (bench Worker's /bench/rpc-floor): the rpc
 * loop's arguments and a prediction-sized answer, nothing scored; with and without one committed row.
 */
export interface FloorRow {
  batch: number;
  calls: number;
  /** µs per call: RPC round trip + input check + answer, no storage write. */
  no_write_us_per_call: number;
  /** The same plus a one-row transactionSync (the answer waits for the commit, as an ingest's does). */
  write_us_per_call: number;
}

/** The host scorer's per-metric anomaly detectors alone (bench Worker's /bench/anomaly). */
export interface AnomalyRow {
  /** Scorer steps per metric per pass, metrics (4), timed passes (fresh detectors each). */
  steps: number;
  metrics: number;
  passes: number;
  elapsed_ms: number;
  /** µs per `update` of one metric's detector: elapsed / (steps × metrics × passes). */
  us_per_point_per_metric: number;
  /** The four metrics of one step: us_per_point_per_metric × metrics. */
  us_per_point_per_host: number;
  /** Share of steps whose update carried an LSTM forecast error. */
  forecast_share: number;
  /** µs per `clone()` of one detector (the scorer clones the four on every prediction). */
  clone_us_per_metric: number;
  /** Stored bytes (JSON + Float64 BLOB, as HostStore writes them) of each metric's detector state. */
  state_bytes_per_metric: Record<string, number>;
  /** The four states as one stored value: the anomaly part of one host's scorer state. */
  state_bytes_per_host: number;
}

const AnomalyAnswer = z.object({
  steps: z.number().int().positive(),
  metrics: z.number().int().positive(),
  passes: z.number().int().positive(),
  elapsedMs: z.number().nonnegative(),
  withForecast: z.number().int().nonnegative(),
  clones: z.number().int().positive(),
  cloneElapsedMs: z.number().nonnegative(),
  stateBytes: z.record(z.string(), z.number().int().positive()),
  hostStateBytes: z.number().int().positive(),
});

/** Runs the anomaly loop once (see AnomalyRow); `minMs` of timed loop at least. */
export async function runAnomaly(
  base: string,
  spec: { points: number; minMs: number; seed: number },
): Promise<AnomalyRow> {
  const { body } = await requestJson(`${base}/bench/anomaly`, AnomalyAnswer, {
    body: spec,
    timeoutMs: 900_000,
  });
  const perMetric = (body.elapsedMs * 1000) / (body.steps * body.metrics * body.passes);
  return {
    steps: body.steps,
    metrics: body.metrics,
    passes: body.passes,
    elapsed_ms: body.elapsedMs,
    us_per_point_per_metric: perMetric,
    us_per_point_per_host: perMetric * body.metrics,
    forecast_share: body.withForecast / body.steps,
    clone_us_per_metric: (body.cloneElapsedMs * 1000) / body.clones,
    state_bytes_per_metric: body.stateBytes,
    state_bytes_per_host: body.hostStateBytes,
  };
}

export interface CostReport {
  plan: CostPlan;
  rows: CostRow[];
  long_history: CostRow;
  state: StateRow[];
  rpc_floor: FloorRow[];
  anomaly: AnomalyRow;
}

type Log = (line: string) => void;

const us = (ms: number, points: number) => (ms * 1000) / points;

async function runOne(
  base: string,
  run: string,
  spec: {
    layer: Layer;
    engine?: Engine;
    mode: "incremental" | "window";
    batch: number;
    window?: number;
    points: number;
    segment: number;
    seed: number;
  },
): Promise<CostRow> {
  const { body } = await requestJson(`${base}/bench/cost`, CostAnswer, {
    body: { run, ...spec },
    timeoutMs: 900_000,
  });
  if (body.points !== spec.points)
    throw new Error(`bench worker ran ${body.points} points, asked ${spec.points}`);
  const first = body.segments[0]!;
  const last = body.segments[body.segments.length - 1]!;
  return {
    layer: spec.layer,
    engine: spec.engine ?? "ort",
    mode: spec.mode,
    batch: spec.batch,
    window: spec.window ?? null,
    points: body.points,
    calls: body.calls,
    elapsed_ms: body.elapsedMs,
    us_per_point: us(body.elapsedMs, body.points),
    early_us_per_point: us(first.elapsedMs, first.points),
    late_us_per_point: us(last.elapsedMs, last.points),
    segment_points: spec.segment,
    segments_us_per_point: body.segments.map((g) => us(g.elapsedMs, g.points)),
  };
}

export function describeRow(r: CostRow): string {
  const what = r.mode === "window" ? `window W=${r.window}` : `batch ${r.batch}`;
  const layer = r.engine === "ort" ? r.layer : `${r.layer} (${r.engine})`;
  return `${layer.padEnd(9)} ${what.padEnd(12)} ${r.points} pts, ${r.calls} calls: ${r.us_per_point.toFixed(1)} µs/pt (early ${r.early_us_per_point.toFixed(1)}, late ${r.late_us_per_point.toFixed(1)})`;
}

/** Runs every loop of the plan against the bench Worker at `base`. */
export async function runCost(base: string, plan: CostPlan, runId: string, log: Log): Promise<CostReport> {
  const seg = plan.segment;
  // Warm-up (JIT, model session, first object): small runs of every layer, discarded.
  const warm = Math.min(300, plan.points);
  for (const layer of LAYERS) {
    for (const batch of [1, 50]) {
      await runOne(base, `w${runId}`, {
        layer,
        mode: "incremental",
        batch,
        points: warm,
        segment: warm,
        seed: plan.seed,
      });
    }
  }
  await runOne(base, `w${runId}`, {
    layer: "inference",
    mode: "window",
    batch: 1,
    window: 60,
    points: 50,
    segment: 50,
    seed: plan.seed,
  });
  await runOne(base, `w${runId}`, {
    layer: "inference",
    engine: "plain-ts",
    mode: "incremental",
    batch: 10,
    points: warm,
    segment: warm,
    seed: plan.seed,
  });
  log(`warm-up done (${warm} points per layer)`);

  const rows: CostRow[] = [];
  const measure = async (spec: Parameters<typeof runOne>[2]) => {
    const r = await runOne(base, runId, spec);
    rows.push(r);
    log(describeRow(r));
  };
  for (const layer of LAYERS) {
    for (const batch of plan.batches) {
      await measure({
        layer,
        mode: "incremental",
        batch,
        points: plan.points,
        segment: seg,
        seed: plan.seed,
      });
    }
    if (layer === "inference") {
      const windows = async (engine: Engine, points: number) => {
        for (const window of plan.windows) {
          await measure({
            layer,
            engine,
            mode: "window",
            batch: 1,
            window,
            points,
            segment: Math.min(seg, points),
            seed: plan.seed,
          });
        }
      };
      await windows("ort", plan.windowPoints);
      // The same loops with the plain-TS forward of the same weights (fewer points: it is slower).
      for (const batch of plan.batches) {
        const points = plan.plainPoints;
        await measure({
          layer,
          engine: "plain-ts",
          mode: "incremental",
          batch,
          points,
          segment: Math.min(seg, points),
          seed: plan.seed,
        });
      }
      await windows("plain-ts", plan.plainWindowPoints);
    }
  }

  const longHistory = await runOne(base, `l${runId}`, {
    layer: "store",
    mode: "incremental",
    batch: plan.long.batch,
    points: plan.long.points,
    segment: seg,
    seed: plan.seed + 1,
  });
  log(`long history: ${describeRow(longHistory)}`);

  // Storage footprint of the store-layer hosts (one per batch size), after plan.points points each.
  const state: StateRow[] = [];
  for (const batch of plan.batches) {
    const host = `store-b${batch}-${runId}`;
    const { body: s } = await requestJson(`${base}/bench/stats`, StatsAnswer, { body: { host } });
    const events = Object.values(s.events).reduce((a, b) => a + b, 0);
    state.push({
      batch,
      points: plan.points,
      scorer_json_bytes: s.scorerBytes,
      scorer_serialize_us: s.scorerSerializeUs,
      kv_bytes: s.kvBytes,
      events: s.events,
      events_per_point: events / plan.points,
      event_body_bytes: s.eventBodyBytes,
      database_bytes: s.databaseBytes,
    });
  }
  // The platform's part of the rpc layer: the same calls with nothing scored or stored (and with one row).
  const rpcFloor: FloorRow[] = [];
  for (const batch of plan.batches) {
    const calls = Math.ceil(plan.points / batch);
    const floor = async (write: boolean) => {
      const { body } = await requestJson(`${base}/bench/rpc-floor`, CostAnswer, {
        body: { run: runId, batch, calls, write, seed: plan.seed },
        timeoutMs: 900_000,
      });
      if (body.calls !== calls)
        throw new Error(`bench worker made ${body.calls} floor calls, asked ${calls}`);
      return (body.elapsedMs * 1000) / calls;
    };
    const row = {
      batch,
      calls,
      no_write_us_per_call: await floor(false),
      write_us_per_call: await floor(true),
    };
    rpcFloor.push(row);
    log(
      `rpc floor batch ${batch}: ${row.no_write_us_per_call.toFixed(0)} µs/call, ${row.write_us_per_call.toFixed(0)} with a one-row commit`,
    );
  }
  // The per-metric anomaly detectors alone (warm-up pass first, discarded).
  await runAnomaly(base, { points: warm, minMs: 20, seed: plan.seed });
  const anomaly = await runAnomaly(base, { ...plan.anomaly, seed: plan.seed });
  log(
    `anomaly: ${anomaly.steps} steps × ${anomaly.metrics} metrics × ${anomaly.passes} passes: ` +
      `${anomaly.us_per_point_per_metric.toFixed(3)} µs/point/metric, state ${anomaly.state_bytes_per_host} B/host`,
  );
  return { plan, rows, long_history: longHistory, state, rpc_floor: rpcFloor, anomaly };
}
