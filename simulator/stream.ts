/**
 * Streams points to an HTTP endpoint in the edge's `POST /metrics` format: `{"points":[MetricPoint…]}`,
 * in timestamp order, paced in simulated time. No `node:*` imports (global fetch), so a demo can run it
 * anywhere.
 *
 * @example
 * const ac = new AbortController();
 * const result = await streamFleet({ fleet: { seed: 7, hosts: 20, days: 2 }, url: "http://127.0.0.1:8787/metrics",
 *   speed: 60, timeShift: "end-now" }, ac.signal);
 */
import { parseFleetConfig, stepCount, type FleetConfig, type FleetConfigInput } from "./config.ts";
import { fleetPoints } from "./fleet.ts";
import type { MetricPoint } from "./types.ts";

export interface StreamClock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: StreamClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface StreamProgress {
  sentPoints: number;
  batches: number;
  retries: number;
  /** Timestamp (as sent, i.e. shifted) of the last point delivered. */
  lastTimestamp: number | null;
  elapsedMs: number;
}

export interface StreamOptions {
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Points per POST (default 100). */
  batchSize?: number;
  /** Simulated seconds per real second (default 60); 0 = as fast as the endpoint accepts. */
  speed?: number;
  /** Stop after this many points. */
  maxPoints?: number;
  /** Stop after this many real seconds. */
  maxSeconds?: number;
  /** Retries per batch on connection errors and 429/502/503/504 (default 5, backoff doubling). */
  retries?: number;
  /** First retry delay, ms (default 200). */
  retryDelayMs?: number;
  /** Pacing granularity, real ms: points due within it go out together (default 250). */
  tickMs?: number;
  /** Added to every timestamp before sending, ms (default 0). */
  shiftMs?: number;
  headers?: Record<string, string>;
  /** Called after every delivered batch. */
  onProgress?: (progress: StreamProgress) => void;
  fetch?: typeof fetch;
  clock?: StreamClock;
}

export interface StreamResult extends StreamProgress {
  stoppedBy: "end" | "max-points" | "max-seconds" | "aborted";
  shiftMs: number;
}

export class StreamError extends Error {
  constructor(
    message: string,
    readonly code: "NETWORK" | "HTTP",
    readonly retryable: boolean,
    readonly status?: number,
    /** Response body, truncated to 1000 characters. */
    readonly body?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StreamError";
  }
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

class Aborted extends Error {}

/** Posts `points` (must be in timestamp order for pacing) in batches; resolves with what was delivered. */
export async function streamPoints(
  points: Iterable<MetricPoint>,
  options: StreamOptions,
  signal?: AbortSignal,
): Promise<StreamResult> {
  const batchSize = options.batchSize ?? 100;
  const speed = options.speed ?? 60;
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const tickMs = options.tickMs ?? 250;
  const shiftMs = options.shiftMs ?? 0;
  const clock = options.clock ?? realClock;
  const fetchImpl = options.fetch ?? fetch;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError("batchSize must be an integer >= 1");
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new RangeError("speed must be a finite number >= 0");
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;

  const startedAt = clock.now();
  const deadline = options.maxSeconds === undefined ? Infinity : startedAt + options.maxSeconds * 1000;
  const progress: StreamProgress = {
    sentPoints: 0,
    batches: 0,
    retries: 0,
    lastTimestamp: null,
    elapsedMs: 0,
  };
  const buffer: MetricPoint[] = [];

  const post = async (batch: MetricPoint[]): Promise<void> => {
    const body = JSON.stringify({ points: batch });
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new Aborted();
      let failure: StreamError;
      try {
        const res = await fetchImpl(options.url, { method: "POST", headers, body, signal });
        const text = await res.text();
        if (res.ok) return;
        const retryable = RETRYABLE_STATUS.has(res.status);
        failure = new StreamError(
          `POST ${options.url} → HTTP ${res.status} ${res.statusText}: ${truncate(text, 1000)}`,
          "HTTP",
          retryable,
          res.status,
          truncate(text, 1000),
        );
      } catch (err) {
        if (signal?.aborted) throw new Aborted();
        if (err instanceof StreamError) throw err;
        const reason = err instanceof Error ? `${err.message}${causeText(err)}` : String(err);
        failure = new StreamError(
          `POST ${options.url} failed: ${reason}`,
          "NETWORK",
          true,
          undefined,
          undefined,
          {
            cause: err,
          },
        );
      }
      if (!failure.retryable || attempt >= retries) {
        if (attempt > 0) failure.message += ` (after ${attempt + 1} attempts)`;
        throw failure;
      }
      progress.retries++;
      await clock.sleep(retryDelayMs * 2 ** attempt, signal);
    }
  };

  const flush = async (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      await post(batch);
      buffer.splice(0, batch.length);
      progress.sentPoints += batch.length;
      progress.batches++;
      progress.lastTimestamp = batch[batch.length - 1]?.timestamp ?? progress.lastTimestamp;
      progress.elapsedMs = clock.now() - startedAt;
      options.onProgress?.({ ...progress });
    }
  };

  let stoppedBy: StreamResult["stoppedBy"] = "end";
  let simStart: number | null = null;
  try {
    for (const point of points) {
      if (signal?.aborted) throw new Aborted();
      if (options.maxPoints !== undefined && progress.sentPoints + buffer.length >= options.maxPoints) {
        stoppedBy = "max-points";
        break;
      }
      if (speed > 0) {
        simStart ??= point.timestamp;
        const due = startedAt + (point.timestamp - simStart) / speed;
        if (due - clock.now() > tickMs) {
          await flush();
          await clock.sleep(Math.min(due, deadline) - clock.now(), signal);
          if (signal?.aborted) throw new Aborted();
        }
      }
      if (clock.now() >= deadline) {
        stoppedBy = "max-seconds";
        break;
      }
      buffer.push(shiftMs === 0 ? point : { ...point, timestamp: point.timestamp + shiftMs });
      if (buffer.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    if (!(err instanceof Aborted)) throw err;
    // Ctrl-C: drop what is buffered; a batch in flight may or may not have arrived.
    stoppedBy = "aborted";
  }
  progress.elapsedMs = clock.now() - startedAt;
  return { ...progress, stoppedBy, shiftMs };
}

function causeText(err: Error): string {
  const cause: unknown = err.cause;
  if (cause instanceof Error) return ` (${"code" in cause ? String(cause.code) : cause.message})`;
  return "";
}

/** How to move the fleet in time: "none", "end-now" (its last step lands on the latest grid instant ≤ now), or ms. */
export type TimeShift = "none" | "end-now" | number;

/** Shift (ms) that `timeShift` means for this fleet at `nowMs`. A whole number of steps, so the grid stays aligned. */
export function resolveShift(config: FleetConfig, timeShift: TimeShift, nowMs: number): number {
  if (timeShift === "none") return 0;
  if (typeof timeShift === "number") return timeShift;
  const stepMs = config.stepSeconds * 1000;
  const lastNominal = config.startMs + (stepCount(config) - 1) * stepMs;
  // Leave room for the arrival jitter so no point lands in the future.
  const target = nowMs - config.jitterSeconds * 1000;
  return Math.floor((target - lastNominal) / stepMs) * stepMs;
}

export interface StreamFleetOptions extends Omit<StreamOptions, "shiftMs"> {
  fleet: FleetConfigInput | FleetConfig;
  /** Default "none". "end-now" suits a demo: all history is in the past, the newest point is about now. */
  timeShift?: TimeShift;
}

/** Generates the fleet lazily and streams it in timestamp order. */
export async function streamFleet(options: StreamFleetOptions, signal?: AbortSignal): Promise<StreamResult> {
  const config = parseFleetConfig(options.fleet);
  const clock = options.clock ?? realClock;
  const shiftMs = resolveShift(config, options.timeShift ?? "none", clock.now());
  return streamPoints(fleetPoints(config), { ...options, shiftMs }, signal);
}
