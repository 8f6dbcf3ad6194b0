/**
 * What the Durable Objects read from the environment, and the rules for it. The Worker's `Env`
 * (`worker/env.ts`) extends this and parses the same variables with the same rules; the dependency
 * runs one way, Worker → objects.
 */
import { z } from "zod";

export interface ObjectEnv {
  UPSTASH_KAFKA_REST_URL?: string;
  UPSTASH_KAFKA_REST_USERNAME?: string;
  UPSTASH_KAFKA_REST_PASSWORD?: string;
  /** First retry delay of the outbox flush after a sink failure, ms (default 1000; doubles, ≤ 5 min). */
  SINK_RETRY_BASE_MS?: string;
  /** Ceiling of the jitter between outbox flush retries, ms (default 150 000). */
  SINK_RETRY_MAX_MS?: string;
  /** How long a host keeps points, predictions and delivered events, hours (default 168 = 7 days). */
  RETENTION_HOURS?: string;
}

/** An integer variable in min..max; unset or empty → `def`. */
export const intVar = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === "") return def;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer ${min}..${max}` });
        return z.NEVER;
      }
      return n;
    });

export const RetentionHours = intVar("RETENTION_HOURS", 168, 1, 24 * 365);
const SinkRetryBaseMs = intVar("SINK_RETRY_BASE_MS", 1000, 1, 3_600_000);
const SinkRetryMaxMs = intVar("SINK_RETRY_MAX_MS", 150_000, 1, 3_600_000);

/**
 * The settings a HostMonitor reads, parsed with the same rules as the Worker's. The Worker already
 * refuses requests when RETENTION_HOURS is malformed; an object falls back to the default instead, so
 * its alarms (retention, outbox flushes) keep running whatever the configuration.
 */
export function objectSettings(env: ObjectEnv): {
  retentionMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
} {
  const hours = RetentionHours.safeParse(env.RETENTION_HOURS);
  const base = SinkRetryBaseMs.safeParse(env.SINK_RETRY_BASE_MS);
  const max = SinkRetryMaxMs.safeParse(env.SINK_RETRY_MAX_MS);
  return {
    retentionMs: (hours.success ? hours.data : 168) * 3_600_000,
    retryBaseMs: base.success ? base.data : 1000,
    retryMaxMs: max.success ? max.data : 150_000,
  };
}
