/**
 * A metric point as the Durable Object receives, stores and forwards it (`metrics` events carry these),
 * and the rules for its parts. The HTTP input shapes (`worker/schemas.ts`) normalise into this.
 */
import { z } from "zod";
import { INGEST_METRIC_RANGES, METRIC_RANGES, type MetricName, type MetricRange } from "./metrics.ts";
import { NAME_RE, NAME_RULE } from "./names.ts";
import { EpochMs } from "./time.ts";

export const MAX_EXTRA_METRICS = 64;
export const MAX_LABELS = 32;
export const MAX_LABEL_VALUE_CHARS = 256;

export const finite = z.number().refine(Number.isFinite, { message: "must be a finite number" });

const metric = (name: MetricName, what: string, ranges: Readonly<Record<MetricName, MetricRange>>) => {
  const r = ranges[name];
  return finite
    .min(r.min, { message: `must be ${what}` })
    .max(r.max, { message: `must be ${what}` })
    .nullish();
};

/** The four canonical metrics with their valid ranges (each optional: a missing one is a masked step). */
export const CanonicalMetrics = {
  cpu_usage: metric("cpu_usage", "a percentage 0..100", METRIC_RANGES),
  memory_usage: metric("memory_usage", "a percentage 0..100", METRIC_RANGES),
  network_latency: metric("network_latency", "milliseconds ≥ 0", METRIC_RANGES),
  error_rate: metric("error_rate", "a fraction 0..1", METRIC_RANGES),
};

/** The canonical metrics as the edge accepts new points (INGEST_METRIC_RANGES: latency ≤ 1 h). */
export const IngestCanonicalMetrics = {
  ...CanonicalMetrics,
  network_latency: metric(
    "network_latency",
    `milliseconds 0..${INGEST_METRIC_RANGES.network_latency.max}`,
    INGEST_METRIC_RANGES,
  ),
};

export const ExtraMetrics = z
  .record(z.string().regex(NAME_RE, { message: `is not a valid metric name: ${NAME_RULE}` }), finite)
  .refine((m) => Object.keys(m).length <= MAX_EXTRA_METRICS, {
    message: `must have at most ${MAX_EXTRA_METRICS} extra metrics`,
  });

export const Labels = z
  .record(
    z.string().regex(NAME_RE, { message: `is not a valid label name: ${NAME_RULE}` }),
    z.string().max(MAX_LABEL_VALUE_CHARS),
  )
  .refine((m) => Object.keys(m).length <= MAX_LABELS, { message: `must have at most ${MAX_LABELS} labels` });

/** A point as the Durable Object receives and stores it. `timestamp` is epoch ms. */
export const StoredPoint = z.strictObject({
  timestamp: z.number().int().min(0),
  ...CanonicalMetrics,
  metrics: ExtraMetrics.optional(),
  labels: Labels.optional(),
});
export type StoredPoint = z.infer<typeof StoredPoint>;

// ── What the edge accepts as a new point (HTTP bodies and the ingest RPC) ───────────────────────────
// Stricter than what storage and events may hold (`StoredPoint`, read back from history and Kafka), so
// that data written before these bounds existed still reads back.

/** Largest `network_latency` accepted, ms (1 h: a probe that took longer did not answer). */
export const MAX_LATENCY_MS = INGEST_METRIC_RANGES.network_latency.max;
/** Largest magnitude of an extra metric's value (beyond it, sums and rates lose all precision). */
export const MAX_EXTRA_METRIC_ABS = 1e15;

/**
 * Names that may not be metric or label names: `Object.prototype`'s own (`__proto__`, `constructor`,
 * `hasOwnProperty`, …) and `prototype`. As keys of a plain object they are silently lost (`__proto__`)
 * or shadow what code expects to find there, so they are refused by name rather than dropped.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "__proto__",
  "prototype",
]);

/**
 * A record checked for reserved keys on its raw input, before zod builds its output object (where a
 * `__proto__` key would vanish): each one is an issue at its own path (`metrics.__proto__`).
 */
function withoutReservedKeys<T extends z.ZodType>(schema: T) {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return;
      for (const k of Object.keys(v)) {
        if (RESERVED_NAMES.has(k))
          ctx.addIssue({ code: "custom", path: [k], message: `'${k}' is a reserved name` });
      }
    })
    .pipe(schema);
}

export const IngestExtraMetrics = withoutReservedKeys(
  z
    .record(
      z.string().regex(NAME_RE, { message: `is not a valid metric name: ${NAME_RULE}` }),
      finite
        .min(-MAX_EXTRA_METRIC_ABS, {
          message: `must be a number from -${MAX_EXTRA_METRIC_ABS} to ${MAX_EXTRA_METRIC_ABS}`,
        })
        .max(MAX_EXTRA_METRIC_ABS, {
          message: `must be a number from -${MAX_EXTRA_METRIC_ABS} to ${MAX_EXTRA_METRIC_ABS}`,
        }),
    )
    .refine((m) => Object.keys(m).length <= MAX_EXTRA_METRICS, {
      message: `must have at most ${MAX_EXTRA_METRICS} extra metrics`,
    }),
);

export const IngestLabels = withoutReservedKeys(Labels);

/** A point as a host object accepts it for ingest (the Worker's rules imply these; `contracts/time.ts`). */
export const IngestPoint = z.strictObject({
  timestamp: EpochMs,
  ...IngestCanonicalMetrics,
  metrics: IngestExtraMetrics.optional(),
  labels: IngestLabels.optional(),
});
