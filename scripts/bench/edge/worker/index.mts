/**
 * Bench-only Worker for `npm run bench:edge` (never deployed; started by the bench with `wrangler dev`
 * on 127.0.0.1 and its own wrangler config, ./wrangler.toml).
 *
 * It runs the per-point cost loops *inside workerd*, at four depths of the real ingest path:
 *   - `inference`: the raw ONNX call (`RecurrentModel.run` → `LstmModel.run`) on real feature rows;
 *   - `scorer`:    `HostScorer.ingest` (resample → features → stateful LSTM → anomaly/alerts/prediction);
 *   - `store`:     `HostMonitor.ingest` called inside the object (scoring + the SQLite transaction);
 *   - `rpc`:       `stub.ingest(...)` from this Worker (Worker→DO RPC + everything above).
 * And one figure below them all, `/bench/anomaly`: the host scorer's per-metric anomaly detectors
 * (`options.anomaly`, model/core/anomaly) alone, fed the exact inputs the scorer gives them.
 * `BenchHostMonitor` only adds bench methods to the real `HostMonitor`; the ingest path and storage are
 * the production code. Points come from the fleet simulator (deterministic, labelled failures), so the
 * scorer meets realistic risk levels (attribution replays included).
 *
 * Timers in workerd tick in 1 ms steps, so every figure is a whole loop of many calls.
 *
 * File extension `.mts`: the root tsconfig.json (Node types) includes `scripts/**\/*.ts`; this file needs
 * the Workers types and is type-checked by ./tsconfig.json instead.
 */
import { z } from "zod";
import onnxBytes from "../../../../model/artifacts/downtime-lstm.onnx";
import type { IngestResponse } from "../../../../contracts/rpc.ts";
import { HostMonitor } from "../../../../durable-objects/host-monitor.ts";
import { decodeState, encodeState } from "../../../../durable-objects/host-store.ts";
import { edgeModel } from "../../../../model/runtime/workerd.ts";
import { featurizeSeries } from "../../../../model/core/offline.ts";
import {
  HostScorer,
  type AnomalyFactory,
  type MetricAnomalyDetector,
  type RecurrentModel,
  type RecurrentState,
  type ScorerState,
} from "../../../../model/core/scorer.ts";
import { METRICS, type MetricName } from "../../../../model/core/metrics.ts";
import { N_FEATURES } from "../../../../model/core/features.ts";
import { simulateHost } from "../../../../simulator/fleet.ts";
import { PlainLstm } from "../plain-lstm.ts";
import type { Env } from "../../../../worker/env.ts";
import type { StoredPoint } from "../../../../contracts/points.ts";
import { parseIngestRequest } from "../../../../contracts/rpc.ts";

export { HostIndex } from "../../../../durable-objects/host-index.ts";

const TENANT = "bench";
const STEP_MS = 60_000;

/** One cost loop: which depth of the path, how points are grouped into calls, how many points. */
export const CostSpec = z.strictObject({
  /** Names this run's objects, so every loop starts from empty storage. */
  run: z.string().regex(/^[a-z0-9-]{1,40}$/),
  layer: z.enum(["inference", "scorer", "store", "rpc"]),
  /** Inference engine (inference layer only): onnxruntime-web, or the plain-TS forward of the same weights. */
  engine: z.enum(["ort", "plain-ts"]).default("ort"),
  /** incremental: state carried, each point's step fed once; window: last `window` steps from zero state. */
  mode: z.enum(["incremental", "window"]),
  /** Points per call (per-host batch); 1 = one call per point. */
  batch: z.number().int().min(1).max(1000),
  /** Steps re-run per point in window mode. */
  window: z.number().int().min(1).max(1000).optional(),
  points: z.number().int().min(1).max(100_000),
  /** Points per timing segment (cost early vs late in the host's history). */
  segment: z.number().int().min(1).max(100_000),
  seed: z.number().int().min(0).max(0xffffffff),
});
export type CostSpec = z.infer<typeof CostSpec>;

export interface CostResult {
  points: number;
  calls: number;
  elapsedMs: number;
  /** Consecutive segments of about `segment` points (cut at call boundaries). */
  segments: { points: number; elapsedMs: number }[];
}

export const StatsSpec = z.strictObject({ host: z.string().min(1).max(128) });

/**
 * The floor of one Worker→DO ingest call: `calls` calls with the same arguments as the rpc loop's
 * (`batch` points each, the RPC input check included) and a real prediction-sized answer, but no
 * scoring; with `write`, each call also commits one small row, so the answer waits for a storage
 * commit as a real ingest's does.
 */
export const FloorSpec = z.strictObject({
  run: z.string().regex(/^[a-z0-9-]{1,40}$/),
  batch: z.number().int().min(1).max(1000),
  calls: z.number().int().min(1).max(100_000),
  write: z.boolean(),
  seed: z.number().int().min(0).max(0xffffffff),
});
export type FloorSpec = z.infer<typeof FloorSpec>;

/** The per-metric anomaly detectors alone (see `anomalyCost`). */
export const AnomalySpec = z.strictObject({
  /** Points of one simulated host fed through the scorer (untimed) to record the detectors' inputs. */
  points: z.number().int().min(1).max(100_000),
  /** Timed passes over the recorded inputs continue until this much loop time has been measured. */
  minMs: z.number().int().min(1).max(60_000),
  seed: z.number().int().min(0).max(0xffffffff),
});
export type AnomalySpec = z.infer<typeof AnomalySpec>;

export interface AnomalyResult {
  /** Steps per metric in one pass (the scorer's committed steps for `points` points). */
  steps: number;
  metrics: number;
  passes: number;
  /** Loop time over all passes (excludes detector creation and yields). */
  elapsedMs: number;
  /** Steps whose update carried an LSTM forecast error (the rest: value only, or missing). */
  withForecast: number;
  /** Detector clones timed (the scorer clones the four on every prediction) and their loop time. */
  clones: number;
  cloneElapsedMs: number;
  /** Bytes of each metric's detector state after one pass, as HostStore stores it (JSON + Float64 BLOB). */
  stateBytes: Record<string, number>;
  /** The four detectors' states as one stored value: the anomaly part of a host's scorer state. */
  hostStateBytes: number;
}

/** What one host keeps in its object's SQLite storage. */
export interface HostStats {
  /**
   * Bytes of the persisted scorer state (resampler, normaliser, LSTM state, detectors, replay rows):
   * its JSON part (UTF-8) plus its Float64 BLOB (HostStore's table `scorer`).
   */
  scorerBytes: number;
  /** UTF-8 bytes of every key/value row (meta, last prediction, …) plus the scorer state's bytes. */
  kvBytes: number;
  events: Record<string, number>;
  /** Mean UTF-8 bytes of an event body, per topic. */
  eventBodyBytes: Record<string, number>;
  /** SQLite file size reported by workerd, bytes. */
  databaseBytes: number;
  /**
   * µs to turn the restored scorer back into its stored form (`toJSON` + HostStore's `encodeState`: JSON
   * plus Float64 BLOB, what every ingest call does before its write), mean over a timed loop; null
   * without a scorer.
   */
  scorerSerializeUs: number | null;
}

/** Simulated points of one host (canonical metrics only, as POST /metrics would store them). */
const pointCache = new Map<string, StoredPoint[]>();
function hostPoints(seed: number, n: number): StoredPoint[] {
  const key = `${seed}:${n}`;
  const hit = pointCache.get(key);
  if (hit) return hit;
  // Downtimes leave gaps, so simulate a little more than n minutes.
  const days = Math.ceil((n * 1.25) / 1440) + 1;
  const sim = simulateHost({ seed, hosts: 1, days }, 0).points;
  if (sim.length < n) throw new Error(`simulator gave ${sim.length} points, need ${n}`);
  const pts = sim.slice(0, n).map((p): StoredPoint => ({
    timestamp: p.timestamp,
    cpu_usage: p.cpu_usage,
    memory_usage: p.memory_usage,
    network_latency: p.network_latency,
    error_rate: p.error_rate,
  }));
  pointCache.clear(); // one host's series at a time is plenty
  pointCache.set(key, pts);
  return pts;
}

/** Feature rows (rows × N_FEATURES) of a simulated host, at least `n` rows. */
function hostRows(seed: number, n: number): Float32Array {
  const series = featurizeSeries(hostPoints(seed, Math.ceil(n * 1.1) + 10), STEP_MS);
  if (series.rows < n) throw new Error(`featurised ${series.rows} rows, need ${n}`);
  return series.features.subarray(0, n * N_FEATURES);
}

/**
 * The loops hand the event loop back this often (ms of work), and the pause is not counted. A runtime
 * blocked for seconds leaves wrangler's inspector proxy unanswered, and wrangler then drops the
 * connection to it: the next request fails with "Your worker restarted mid-request".
 */
const YIELD_EVERY_MS = 200;

/**
 * Runs `call(from, to)` over [0, points) in chunks of `batch`, timing segments of ~`segment` points.
 * Elapsed times exclude the yields.
 */
async function timedLoop(
  points: number,
  batch: number,
  segment: number,
  call: (from: number, to: number) => Promise<void>,
): Promise<CostResult> {
  const segments: CostResult["segments"] = [];
  let calls = 0;
  const t0 = performance.now();
  let paused = 0;
  let segStart = t0;
  let segPaused = 0;
  let segFrom = 0;
  let lastYield = t0;
  for (let from = 0; from < points; from += batch) {
    const to = Math.min(points, from + batch);
    await call(from, to);
    calls++;
    if (to - segFrom >= segment || to === points) {
      const now = performance.now();
      segments.push({ points: to - segFrom, elapsedMs: now - segStart - segPaused });
      segStart = now;
      segPaused = 0;
      segFrom = to;
    }
    if (performance.now() - lastYield >= YIELD_EVERY_MS && to < points) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
      paused += lastYield - before;
      segPaused += lastYield - before;
    }
  }
  return { points, calls, elapsedMs: performance.now() - t0 - paused, segments };
}

let plain: PlainLstm | undefined;

/** The plain-TS forward behind the scorer's model contract (batch 1), weights read from the same ONNX file. */
async function plainModel(): Promise<Pick<RecurrentModel, "zeroState" | "run">> {
  const { meta } = await edgeModel.get();
  plain ??= PlainLstm.fromOnnx(new Uint8Array(onnxBytes), {
    nFeatures: meta.feature_names.length,
    nHorizons: meta.horizons_minutes.length,
    nForecast: meta.forecast_names.length,
  });
  const p = plain;
  return {
    zeroState: () => p.zeroState(1),
    run: (x, steps, state) => Promise.resolve(p.run(x, 1, steps, state)),
  };
}

async function inferenceLoop(s: CostSpec): Promise<CostResult> {
  const model = s.engine === "plain-ts" ? await plainModel() : (await edgeModel.get()).options.model;
  if (s.mode === "incremental") {
    const x = hostRows(s.seed, s.points);
    let state: RecurrentState = model.zeroState();
    return timedLoop(s.points, s.batch, s.segment, async (from, to) => {
      const out = await model.run(x.subarray(from * N_FEATURES, to * N_FEATURES), to - from, state);
      state = out.state;
    });
  }
  // Window mode: point i re-runs rows [i, i + W) from zero state (always a full window: steady state).
  const w = s.window ?? 60;
  const x = hostRows(s.seed, s.points + w);
  const zero = model.zeroState();
  return timedLoop(s.points, 1, s.segment, async (i) => {
    await model.run(x.subarray(i * N_FEATURES, (i + w) * N_FEATURES), w, zero);
  });
}

async function scorerLoop(s: CostSpec): Promise<CostResult> {
  const { options } = await edgeModel.get();
  const pts = hostPoints(s.seed, s.points);
  const scorer = HostScorer.create("bench-scorer", options);
  return timedLoop(s.points, s.batch, s.segment, async (from, to) => {
    await scorer.ingest(pts.slice(from, to));
  });
}

/**
 * Cost of the host scorer's per-metric anomaly detectors inside workerd. The host's points first go
 * through a real `HostScorer` (untimed) whose anomaly factory records every committed `update` call's
 * arguments per metric — value, LSTM forecast error, step time — so the timed loop feeds fresh
 * detectors from the same factory exactly the inputs the scorer gives them, without the LSTM's cost.
 * Passes repeat (fresh detectors each) until `minMs` of loop time, since workerd's clock ticks in 1 ms.
 */
async function anomalyCost(s: AnomalySpec): Promise<AnomalyResult> {
  const { options } = await edgeModel.get();
  const factory: AnomalyFactory = options.anomaly;
  const inputs = new Map<MetricName, { value: (number | null)[]; err: (number | null)[]; ts: number[] }>(
    METRICS.map((m) => [m, { value: [], err: [], ts: [] }]),
  );
  const recording: AnomalyFactory = {
    create(metric) {
      const inner = factory.create(metric);
      const rec = inputs.get(metric)!;
      const d: MetricAnomalyDetector = {
        update(value, forecastError, timestampMs) {
          rec.value.push(value);
          rec.err.push(forecastError);
          rec.ts.push(timestampMs);
          return inner.update(value, forecastError, timestampMs);
        },
        // Clones evaluate the open step (not committed): not recorded.
        clone: () => inner.clone(),
        toJSON: () => inner.toJSON(),
      };
      return d;
    },
    restore: (metric, state) => factory.restore(metric, state),
  };
  const scorer = HostScorer.create("bench-anomaly", { ...options, anomaly: recording });
  const pts = hostPoints(s.seed, s.points);
  for (let from = 0; from < pts.length; from += 100) await scorer.ingest(pts.slice(from, from + 100));
  const series = METRICS.map((m) => inputs.get(m)!);
  const steps = series[0]!.ts.length;
  if (steps === 0 || series.some((x) => x.ts.length !== steps))
    throw new Error(`recorded ${series.map((x) => x.ts.length).join("/")} steps per metric`);
  const withForecast = series[0]!.err.filter((e) => e !== null).length;

  let elapsed = 0;
  let passes = 0;
  let sink = 0;
  let last: MetricAnomalyDetector[] = [];
  let lastYield = performance.now();
  while (passes < 3 || elapsed < s.minMs) {
    const detectors = METRICS.map((m) => factory.create(m));
    const t0 = performance.now();
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < METRICS.length; i++) {
        const x = series[i]!;
        sink += detectors[i]!.update(x.value[t] as number | null, x.err[t] as number | null, x.ts[t]!);
      }
    }
    const t1 = performance.now();
    elapsed += t1 - t0;
    passes++;
    last = detectors;
    if (t1 - lastYield >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  if (!Number.isFinite(sink)) throw new Error("anomaly scores are not finite");

  const clones = Math.max(1000, Math.min(100_000, Math.round(steps * 4)));
  const c0 = performance.now();
  for (let k = 0; k < clones; k++) sink += last[k % last.length]!.clone() === null ? 1 : 0;
  const cloneElapsedMs = performance.now() - c0;

  const stored = (v: unknown): number => {
    const e = encodeState(v);
    return new TextEncoder().encode(e.json).byteLength + e.nums.byteLength;
  };
  return {
    steps,
    metrics: METRICS.length,
    passes,
    elapsedMs: elapsed,
    withForecast,
    clones,
    cloneElapsedMs,
    stateBytes: Object.fromEntries(METRICS.map((m, i) => [m, stored(last[i]!.toJSON())])),
    hostStateBytes: stored(last.map((d) => d.toJSON())),
  };
}

function checkIngest(r: { accepted: number; duplicates: number }, n: number): void {
  if (r.accepted !== n || r.duplicates !== 0) {
    throw new Error(
      `ingest accepted ${r.accepted}/${n} points (duplicates ${r.duplicates}): the bench data is wrong`,
    );
  }
}

export function costHostName(s: CostSpec): string {
  return `${s.layer}-b${s.batch}-${s.run}`;
}

export class BenchHostMonitor extends HostMonitor {
  /** Runs one cost loop inside this object (layers inference, scorer and store). */
  async costLoop(input: unknown): Promise<CostResult> {
    const s = CostSpec.parse(input);
    if (s.layer === "inference") return inferenceLoop(s);
    if (s.layer === "scorer") return scorerLoop(s);
    if (s.layer !== "store") throw new Error(`layer ${s.layer} does not run inside the object`);
    const host = costHostName(s);
    const pts = hostPoints(s.seed, s.points);
    return timedLoop(s.points, s.batch, s.segment, async (from, to) => {
      // The real path: RPC-input validation, duplicate check, scoring, one transactionSync, alarm.
      checkIngest(await this.ingest({ tenant: TENANT, host, points: pts.slice(from, to) }), to - from);
    });
  }

  /** A real ingest of `points` (not timed), whose answer `floorCall` then returns every time. */
  async floorSetup(input: unknown): Promise<void> {
    this.floorAnswer = await this.ingest(input);
  }

  /** One floor call (see FloorSpec): the RPC input check, optionally one committed row, the answer. */
  async floorCall(input: unknown, write: boolean): Promise<IngestResponse> {
    const req = parseIngestRequest(input);
    if (!this.floorAnswer) throw new Error("floorSetup first");
    if (write) {
      const sql = this.ctx.storage.sql;
      this.ctx.storage.transactionSync(() => {
        sql.exec(`CREATE TABLE IF NOT EXISTS bench_floor (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)`);
        sql.exec(`INSERT OR REPLACE INTO bench_floor (k, n) VALUES (1, ?)`, req.points.length);
      });
    }
    return { ...this.floorAnswer, host: req.host, accepted: req.points.length };
  }

  private floorAnswer: IngestResponse | undefined;

  /** Storage footprint of this host (reads HostStore's tables `kv`, `scorer` and `events` directly). */
  async stats(): Promise<HostStats> {
    const sql = this.ctx.storage.sql;
    const utf8 = (s: string) => new TextEncoder().encode(s).byteLength;
    const kv = sql.exec<{ k: string; v: string }>(`SELECT k, v FROM kv`).toArray();
    const scorer = sql
      .exec<{ json: string; nums: ArrayBuffer }>(`SELECT json, nums FROM scorer WHERE id = 1`)
      .toArray()[0];
    const scorerBytes = scorer ? utf8(scorer.json) + scorer.nums.byteLength : 0;
    const events: Record<string, number> = {};
    const eventBodyBytes: Record<string, number> = {};
    for (const r of sql
      .exec<{ topic: string; n: number; bytes: number }>(
        `SELECT topic, count(*) AS n, sum(length(CAST(body AS BLOB))) AS bytes FROM events GROUP BY topic`,
      )
      .toArray()) {
      events[r.topic] = r.n;
      eventBodyBytes[r.topic] = r.n > 0 ? r.bytes / r.n : 0;
    }
    let scorerSerializeUs: number | null = null;
    if (scorer) {
      const { options } = await edgeModel.get();
      const restored = HostScorer.restore(decodeState(scorer.json, scorer.nums) as ScorerState, options);
      const n = 300;
      let bytes = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const e = encodeState(restored.toJSON());
        bytes += e.json.length + e.nums.byteLength;
      }
      scorerSerializeUs = ((performance.now() - t0) * 1000) / n;
      if (bytes === 0) throw new Error("empty scorer state");
    }
    return {
      scorerSerializeUs,
      scorerBytes,
      kvBytes: kv.reduce((sum, r) => sum + utf8(r.k) + utf8(r.v), 0) + scorerBytes,
      events,
      eventBodyBytes,
      databaseBytes: sql.databaseSize,
    };
  }
}

interface BenchEnv extends Omit<Env, "HOST_MONITOR"> {
  HOST_MONITOR: DurableObjectNamespace<BenchHostMonitor>;
}

function objectFor(env: BenchEnv, name: string): DurableObjectStub<BenchHostMonitor> {
  return env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(`${TENANT}/${name}`));
}

async function rpcLoop(env: BenchEnv, s: CostSpec): Promise<CostResult> {
  const host = costHostName(s);
  const stub = objectFor(env, host);
  const pts = hostPoints(s.seed, s.points);
  return timedLoop(s.points, s.batch, s.segment, async (from, to) => {
    checkIngest(await stub.ingest({ tenant: TENANT, host, points: pts.slice(from, to) }), to - from);
  });
}

async function floorLoop(env: BenchEnv, s: FloorSpec): Promise<CostResult> {
  const host = `floor-${s.write ? "w" : "r"}-b${s.batch}-${s.run}`;
  const stub = objectFor(env, host);
  const pts = hostPoints(s.seed, s.batch * (s.calls + 1));
  await stub.floorSetup({ tenant: TENANT, host, points: pts.slice(0, s.batch) });
  const points = s.batch * s.calls;
  return timedLoop(points, s.batch, points, async (from, to) => {
    const r = await stub.floorCall(
      { tenant: TENANT, host, points: pts.slice(s.batch + from, s.batch + to) },
      s.write,
    );
    if (r.accepted !== to - from) throw new Error("floor call answered for the wrong points");
  });
}

async function route(req: Request, env: BenchEnv): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method === "GET" && path === "/bench/ready") {
    const m = await edgeModel.get();
    return Response.json({ ready: true, load_ms: m.loadMs, model_version: m.meta.version });
  }
  if (req.method !== "POST") return Response.json({ error: "not found" }, { status: 404 });
  const body: unknown = await req.json();
  if (path === "/bench/cost") {
    const s = CostSpec.parse(body);
    if (s.mode === "window" && s.layer !== "inference")
      throw new Error("window mode is measured at the inference layer only");
    const result =
      s.layer === "rpc"
        ? await rpcLoop(env, s)
        : // inference/scorer loops run inside an object too (same isolate, same model), store needs its own.
          await objectFor(env, s.layer === "store" ? costHostName(s) : `scratch-${s.run}`).costLoop(s);
    return Response.json(result);
  }
  if (path === "/bench/anomaly") {
    return Response.json(await anomalyCost(AnomalySpec.parse(body)));
  }
  if (path === "/bench/rpc-floor") {
    return Response.json(await floorLoop(env, FloorSpec.parse(body)));
  }
  if (path === "/bench/stats") {
    const s = StatsSpec.parse(body);
    return Response.json(await objectFor(env, s.host).stats());
  }
  return Response.json({ error: "not found" }, { status: 404 });
}

export default {
  async fetch(req: Request, env: BenchEnv): Promise<Response> {
    try {
      return await route(req, env);
    } catch (e) {
      const message =
        e instanceof z.ZodError ? z.prettifyError(e) : e instanceof Error ? e.message : String(e);
      return Response.json({ error: message }, { status: e instanceof z.ZodError ? 400 : 500 });
    }
  },
} satisfies ExportedHandler<BenchEnv>;
