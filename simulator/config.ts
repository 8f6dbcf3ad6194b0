/** Fleet configuration: one zod schema, sane defaults, validated wherever config crosses a boundary. */
import { z } from "zod";
import { FAILURE_FAMILIES } from "./types.ts";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Fixed default start (Monday 2026-01-05 00:00 UTC) so a default run is reproducible. */
export const DEFAULT_START_MS = Date.UTC(2026, 0, 5);

export const FleetConfigSchema = z
  .object({
    /** Any uint32; the whole fleet is a pure function of (config, seed). */
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    hosts: z.number().int().min(1).max(100_000).default(10),
    /** Nominal sampling interval, seconds. */
    stepSeconds: z.number().int().min(1).max(3600).default(60),
    /** First nominal sample, epoch ms. */
    startMs: z.number().int().min(0).default(DEFAULT_START_MS),
    /** Length of the simulation, ms (give this or `days`; default 1 day). */
    durationMs: z
      .number()
      .int()
      .positive()
      .max(366 * DAY_MS)
      .optional(),
    /** Length of the simulation, days (fractional allowed). */
    days: z.number().positive().max(366).optional(),
    /** Mean failures per host per day (Poisson; events never overlap on one host). */
    failuresPerHostDay: z.number().min(0).max(48).default(0.25),
    /** Fraction 0..1 of failures that are sudden crashes (when sudden_crash is among `families`). */
    suddenCrashShare: z.number().min(0).max(1).default(0.15),
    /** Which failure families may occur; the non-crash ones share the remaining probability equally. */
    families: z
      .array(z.enum(FAILURE_FAMILIES))
      .min(1)
      .default([...FAILURE_FAMILIES]),
    /** Fraction 0..1 of points dropped independently (lost samples). */
    missingRate: z.number().min(0).max(0.5).default(0.003),
    /** Mean metrics-agent outages (2–10 steps, host healthy) per host per day. */
    gapsPerHostDay: z.number().min(0).max(48).default(0.3),
    /** Arrival jitter: each timestamp moves uniformly within ±jitterSeconds of the grid (< stepSeconds/2). */
    jitterSeconds: z.number().min(0).default(3),
    /** Mean deploys per host per weekday (business hours, local time). */
    deploysPerHostDay: z.number().min(0).max(48).default(0.6),
    /** Mean fleet-wide traffic peaks per day. */
    trafficPeaksPerDay: z.number().min(0).max(24).default(0.6),
    /** Fraction 0..1 of web/api hosts that also run a daily cron job (db and batch hosts always do). */
    cronHostShare: z.number().min(0).max(1).default(0.3),
    /** Fraction 0..1 of failures whose precursor is subtle (weak side effects, late-concentrated). */
    subtleShare: z.number().min(0).max(1).default(0.25),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.durationMs !== undefined && c.days !== undefined) {
      ctx.addIssue({ code: "custom", path: ["days"], message: "give either days or durationMs, not both" });
    }
    if (c.jitterSeconds >= c.stepSeconds / 2) {
      ctx.addIssue({
        code: "custom",
        path: ["jitterSeconds"],
        message: `must be < stepSeconds/2 (${c.stepSeconds / 2}) so points stay in order`,
      });
    }
    if (new Set(c.families).size !== c.families.length) {
      ctx.addIssue({ code: "custom", path: ["families"], message: "lists a family twice" });
    }
    const durationMs = c.durationMs ?? (c.days ?? 1) * DAY_MS;
    if (durationMs < c.stepSeconds * 1000) {
      ctx.addIssue({ code: "custom", path: ["durationMs"], message: "shorter than one step" });
    }
  })
  .transform(({ days, durationMs, ...rest }) => ({
    ...rest,
    durationMs: durationMs ?? Math.round((days ?? 1) * DAY_MS),
  }));

/** What callers may pass (everything optional). */
export type FleetConfigInput = z.input<typeof FleetConfigSchema>;
/** Fully resolved configuration (durationMs always set). Parsing it again returns an equal object. */
export type FleetConfig = z.output<typeof FleetConfigSchema>;

export class FleetConfigError extends Error {
  readonly code = "INVALID_FLEET_CONFIG";
  constructor(
    /** One entry per problem: the offending field and why. */
    readonly issues: { field: string; message: string }[],
  ) {
    super(`invalid fleet config: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
    this.name = "FleetConfigError";
  }
}

export function parseFleetConfig(input: FleetConfigInput = {}): FleetConfig {
  const result = FleetConfigSchema.safeParse(input);
  if (!result.success) {
    throw new FleetConfigError(
      result.error.issues.map((i) => ({
        field: i.path.length > 0 ? i.path.join(".") : "(config)",
        message: i.message,
      })),
    );
  }
  return result.data;
}

/** Number of nominal steps in the simulation. */
export function stepCount(config: FleetConfig): number {
  return Math.max(1, Math.floor(config.durationMs / (config.stepSeconds * 1000)));
}
