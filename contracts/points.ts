/**
 * A metric point as the Durable Object receives, stores and forwards it (`metrics` events carry these),
 * and the rules for its parts. The HTTP input shapes (`worker/schemas.ts`) normalise into this.
 */
import { z } from "zod";
import { METRIC_RANGES, type MetricName } from "./metrics.ts";
import { NAME_RE, NAME_RULE } from "./names.ts";

export const MAX_EXTRA_METRICS = 64;
export const MAX_LABELS = 32;
export const MAX_LABEL_VALUE_CHARS = 256;

export const finite = z.number().refine(Number.isFinite, { message: "must be a finite number" });

const metric = (name: MetricName, what: string) => {
  const r = METRIC_RANGES[name];
  return finite
    .min(r.min, { message: `must be ${what}` })
    .max(r.max, { message: `must be ${what}` })
    .nullish();
};

/** The four canonical metrics with their valid ranges (each optional: a missing one is a masked step). */
export const CanonicalMetrics = {
  cpu_usage: metric("cpu_usage", "a percentage 0..100"),
  memory_usage: metric("memory_usage", "a percentage 0..100"),
  network_latency: metric("network_latency", "milliseconds ≥ 0"),
  error_rate: metric("error_rate", "a fraction 0..1"),
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
