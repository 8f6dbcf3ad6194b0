import { z } from "zod";
import { EXIT_RATIO, type AlertPolicy } from "./alert.ts";
import { FEATURE_NAMES } from "./features.ts";
import { LstmMetaSchema } from "./lstm.ts";
import { METRICS, METRIC_SPECS, type MetricName } from "./metrics.ts";

const LevelRuleSchema = z
  .object({
    horizon_minutes: z.number().positive(),
    /** Calibrated probability (0..1) at or above which the level is entered. `p_min` is the older name. */
    enter: z.number().min(0).max(1).optional(),
    p_min: z.number().min(0).max(1).optional(),
    exit: z.number().min(0).max(1).optional(),
    enter_steps: z.number().int().positive().default(2),
    exit_steps: z.number().int().positive().default(5),
  })
  .refine((r) => r.enter !== undefined || r.p_min !== undefined, { message: "needs enter (or p_min)" });

/**
 * The part of the model metadata JSON (model/artifacts/*.json) the scoring core relies on: what the
 * ONNX wrapper needs (LstmMetaSchema) plus the step, metric order and alert thresholds. Other keys
 * (training record, metrics, data description) are kept as they are.
 */
export const ModelMetaSchema = LstmMetaSchema.extend({
  name: z.string(),
  forecast_names: z.array(z.enum(METRICS)),
  step_seconds: z.number().int().positive(),
  thresholds: z.looseObject({
    source: z.string().optional(),
    warning: LevelRuleSchema,
    critical: LevelRuleSchema,
  }),
  /** Optional per-metric breach levels (raw units) for time-to-breach; defaults from METRIC_SPECS. */
  breach: z.record(z.string(), z.number()).optional(),
});
export type ModelMeta = z.infer<typeof ModelMetaSchema>;

export class ModelMetaError extends Error {
  readonly code = "MODEL_META_INVALID";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ModelMetaError";
  }
}

/**
 * Validates model metadata and checks it matches this build of the scoring core (same feature order,
 * forecast names, consistent horizons and calibration). Throws ModelMetaError naming the field.
 */
export function parseModelMeta(json: unknown): ModelMeta {
  const r = ModelMetaSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ModelMetaError(`model metadata: ${i.path.join(".") || "(root)"}: ${i.message}`, {
      cause: r.error,
    });
  }
  const m = r.data;
  const fail = (field: string, msg: string) => {
    throw new ModelMetaError(`model metadata: ${field}: ${msg}`);
  };
  if (m.feature_names.join() !== FEATURE_NAMES.join()) {
    fail("feature_names", `expected [${FEATURE_NAMES.join(", ")}] (this scoring core's feature order)`);
  }
  if (m.forecast_names.join() !== METRICS.join()) fail("forecast_names", `expected [${METRICS.join(", ")}]`);
  const H = m.horizons_minutes.length;
  if (m.horizons_steps.length !== H) fail("horizons_steps", "length differs from horizons_minutes");
  if (m.calibration.a.length !== H || m.calibration.b.length !== H)
    fail("calibration", `needs ${H} (a, b) pairs`);
  for (const level of ["warning", "critical"] as const) {
    if (!m.horizons_minutes.includes(m.thresholds[level].horizon_minutes)) {
      fail(
        `thresholds.${level}.horizon_minutes`,
        `not one of the model's horizons [${m.horizons_minutes.join(", ")}]`,
      );
    }
  }
  return m;
}

/** Alert policy (hysteresis rules) from the metadata's thresholds. */
export function alertPolicy(m: ModelMeta): AlertPolicy {
  const rule = (level: "warning" | "critical") => {
    const t = m.thresholds[level];
    const enter = (t.enter ?? t.p_min)!;
    return {
      horizonIndex: m.horizons_minutes.indexOf(t.horizon_minutes),
      enter,
      exit: t.exit ?? enter * EXIT_RATIO,
      enterSteps: t.enter_steps,
      exitSteps: t.exit_steps,
    };
  };
  return { warning: rule("warning"), critical: rule("critical") };
}

/** Breach level per metric (raw units): metadata overrides, else METRIC_SPECS defaults. */
export function breachLevels(m: ModelMeta): Record<MetricName, number> {
  const out = {} as Record<MetricName, number>;
  for (const metric of METRICS) out[metric] = m.breach?.[metric] ?? METRIC_SPECS[metric].breach;
  return out;
}
