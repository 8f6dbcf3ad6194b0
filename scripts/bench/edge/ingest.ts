/**
 * Benchmark 2 — ingest throughput of the real Worker (embedded default) under `wrangler dev`:
 * batch POSTs to `POST /metrics` against the same batches sent to `POST /metrics/validate` (same parsing
 * and validation, nothing stored) in the same run, phases interleaved validate / metrics / validate /
 * metrics so load from elsewhere on the machine hits both alike.
 *
 * Batches are realistic: several hosts per request, each host's points consecutive minutes (values from
 * the fleet simulator), timestamps ending near now and increasing per host across requests, so nothing
 * is a duplicate or late. Each client owns its hosts and sends sequentially; clients run concurrently.
 */
import { z } from "zod";
import { simulateHost } from "../../../simulator/fleet.ts";
import { BenchError } from "./errors.ts";
import { requestJson } from "./http.ts";
import type { MetricPoint } from "../../../simulator/types.ts";

const MINUTE_MS = 60_000;

export interface IngestShape {
  /** Points per request. */
  points: number;
  /** Hosts per request (points / hosts consecutive minutes each). */
  hosts: number;
  /** Each phase stops after this many requests per client (or after `maxPhaseMs`). */
  maxRequestsPerPhase: number;
}

export interface IngestPlan {
  shapes: IngestShape[];
  clients: number;
  /** Each phase stops after this long, ms (or after the shape's request budget). */
  maxPhaseMs: number;
  /** Requests per client to each route before the timed phases (not counted): JIT and caches warm. */
  warmupRequests: number;
  seed: number;
}

export interface PhaseResult {
  route: "/metrics/validate" | "/metrics";
  requests: number;
  points: number;
  elapsed_ms: number;
  points_per_s: number;
  /** Client-side request latency, ms. */
  latency_ms: { p50: number; p95: number; max: number };
  /** Requests re-sent after a network-level failure (time included; see http.ts). */
  network_retries: number;
}

export interface ShapeResult {
  batch_points: number;
  hosts_per_batch: number;
  points_per_host_per_batch: number;
  clients: number;
  phases: PhaseResult[];
  validate_points_per_s: number;
  metrics_points_per_s: number;
  /** metrics / validate throughput. */
  ratio: number;
}

export interface IngestReport {
  plan: IngestPlan;
  shapes: ShapeResult[];
}

/** A point as the simulator makes it and POST /metrics takes it. */
type Point = MetricPoint;

/**
 * The request sequence of one client: request j holds, for each of its hosts, minutes
 * [j·k, (j+1)·k) of that host's timeline, which ends at `endMs` after `requests` requests.
 */
export function buildBatches(
  shape: IngestShape,
  requests: number,
  hostPrefix: string,
  seed: number,
  endMs: number,
): Point[][] {
  if (shape.points % shape.hosts !== 0)
    throw new BenchError("USAGE", `${shape.points} points do not split over ${shape.hosts} hosts`);
  const k = shape.points / shape.hosts;
  const minutes = requests * k;
  const startMs = Math.floor(endMs / MINUTE_MS) * MINUTE_MS - minutes * MINUTE_MS;
  const days = (minutes * 1.3) / 1440 + 0.1;
  const series = Array.from({ length: shape.hosts }, (_, h) => {
    const pts = simulateHost({ seed, hosts: shape.hosts, days }, h).points;
    if (pts.length < minutes)
      throw new BenchError("USAGE", `simulator gave ${pts.length} points, need ${minutes}`);
    return pts;
  });
  const batches: Point[][] = [];
  for (let j = 0; j < requests; j++) {
    const batch: Point[] = [];
    for (let h = 0; h < shape.hosts; h++) {
      for (let m = j * k; m < (j + 1) * k; m++) {
        const v = series[h]![m]!;
        batch.push({
          host: `${hostPrefix}-h${h}`,
          // On the minute grid plus a few seconds of arrival jitter; strictly increasing per host.
          timestamp: startMs + m * MINUTE_MS + ((m * 7919 + h * 104_729) % 5000),
          cpu_usage: v.cpu_usage,
          memory_usage: v.memory_usage,
          network_latency: v.network_latency,
          error_rate: v.error_rate,
        });
      }
    }
    batches.push(batch);
  }
  return batches;
}

const ValidateAnswer = z.object({
  valid: z.literal(true),
  points: z.number().int(),
  hosts: z.number().int(),
});
const MetricsAnswer = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  dropped_late: z.number().int(),
  hosts: z.array(z.object({ host: z.string() }).loose()),
});

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One phase: every client sends its next requests to `route` until its request or time budget is spent. */
async function phase(
  base: string,
  apiKey: string,
  route: PhaseResult["route"],
  clients: { bodies: string[]; counts: number[]; hosts: number; next: number }[],
  budget: { maxRequests: number; maxMs: number },
  advance: boolean,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let points = 0;
  let requests = 0;
  let retries = 0;
  const t0 = performance.now();
  const deadline = t0 + budget.maxMs;
  await Promise.all(
    clients.map(async (c) => {
      let j = c.next;
      for (
        let n = 0;
        n < budget.maxRequests && performance.now() < deadline && j < c.bodies.length;
        n++, j++
      ) {
        const expected = c.counts[j]!;
        const headers = { authorization: `Bearer ${apiKey}` };
        if (route === "/metrics") {
          const r = await requestJson(`${base}${route}`, MetricsAnswer, {
            body: c.bodies[j]!,
            headers,
            networkRetries: 1,
          });
          retries += r.retried;
          // After a network retry the first attempt may have been stored: its points come back as duplicates.
          const dup = r.retried > 0 ? r.body.duplicates : 0;
          if (r.body.accepted + dup !== expected || r.body.duplicates !== dup || r.body.dropped_late !== 0) {
            throw new BenchError(
              "HTTP",
              `POST /metrics accepted ${r.body.accepted}/${expected} (duplicates ${r.body.duplicates}, late ${r.body.dropped_late}): bench batches are wrong`,
            );
          }
          latencies.push(r.ms);
        } else {
          const r = await requestJson(`${base}${route}`, ValidateAnswer, {
            body: c.bodies[j]!,
            headers,
            networkRetries: 1,
          });
          retries += r.retried;
          if (r.body.points !== expected || r.body.hosts !== c.hosts) {
            throw new BenchError(
              "HTTP",
              `POST /metrics/validate counted ${r.body.points} points, ${r.body.hosts} hosts`,
            );
          }
          latencies.push(r.ms);
        }
        points += expected;
        requests++;
      }
      if (advance) c.next = j;
    }),
  );
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    route,
    requests,
    points,
    elapsed_ms: elapsed,
    points_per_s: (points * 1000) / elapsed,
    latency_ms: {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      max: latencies[latencies.length - 1] ?? 0,
    },
    network_retries: retries,
  };
}

const rate = (ps: PhaseResult[]) =>
  (ps.reduce((s, p) => s + p.points, 0) * 1000) / ps.reduce((s, p) => s + p.elapsed_ms, 0);

export async function runIngest(
  base: string,
  apiKey: string,
  plan: IngestPlan,
  runTag: string,
  log: (line: string) => void,
): Promise<IngestReport> {
  const shapes: ShapeResult[] = [];
  for (const shape of plan.shapes) {
    // Two metrics phases consume consecutive requests of each client's sequence.
    const budget = { maxRequests: shape.maxRequestsPerPhase, maxMs: plan.maxPhaseMs };
    const perClient = 2 * shape.maxRequestsPerPhase + plan.warmupRequests;
    const endMs = Date.now();
    const clients = Array.from({ length: plan.clients }, (_, c) => {
      const batches = buildBatches(
        shape,
        perClient,
        `tp${runTag}-p${shape.points}-c${c}`,
        plan.seed + c,
        endMs,
      );
      return {
        bodies: batches.map((b) => JSON.stringify({ points: b })),
        counts: batches.map((b) => b.length),
        hosts: shape.hosts,
        next: 0,
      };
    });
    // Warm-up, not counted: creates the hosts' objects and lets both routes' code reach steady state
    // (a single request left the first timed phase of each route measurably slower than the second).
    const warm = { maxRequests: plan.warmupRequests, maxMs: plan.maxPhaseMs };
    await phase(base, apiKey, "/metrics/validate", clients, warm, false);
    await phase(base, apiKey, "/metrics", clients, warm, true);
    const phases: PhaseResult[] = [];
    for (let round = 0; round < 2; round++) {
      const v = await phase(base, apiKey, "/metrics/validate", clients, budget, false);
      phases.push(v);
      log(
        `${shape.points}-point batches, ${plan.clients} client(s): validate ${v.points_per_s.toFixed(0)} pts/s (${v.requests} req)`,
      );
      const m = await phase(base, apiKey, "/metrics", clients, budget, true);
      phases.push(m);
      log(
        `${shape.points}-point batches, ${plan.clients} client(s): metrics  ${m.points_per_s.toFixed(0)} pts/s (${m.requests} req)`,
      );
    }
    const validate = rate(phases.filter((p) => p.route === "/metrics/validate"));
    const metrics = rate(phases.filter((p) => p.route === "/metrics"));
    shapes.push({
      batch_points: shape.points,
      hosts_per_batch: shape.hosts,
      points_per_host_per_batch: shape.points / shape.hosts,
      clients: plan.clients,
      phases,
      validate_points_per_s: validate,
      metrics_points_per_s: metrics,
      ratio: metrics / validate,
    });
  }
  return { plan, shapes };
}
