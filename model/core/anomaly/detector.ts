import { z } from "zod";
import {
  AnomalyLikelihood,
  DEFAULT_LIKELIHOOD_CONFIG,
  likelihoodStateSchema,
  type LikelihoodConfig,
} from "./likelihood.ts";

const DAY_MS = 86_400_000;
/** Inputs are clamped to ±this, so differences, ranges and scales stay finite. */
const MAX_ABS_VALUE = 1e100;
/** Scale floor relative to the (smoothed) level: a series constant to 1e-9 relative counts as constant. */
const RELATIVE_SCALE_FLOOR = 1e-9;

/** Tuning of a `MetricAnomalyDetector`. Defaults were tuned on the NAB dev subset (see README.md). */
export interface DetectorConfig {
  /** Weight of the newest point in the noise-scale estimates (≈ 1 / memory, steps). */
  scaleAlpha: number;
  /** Time-of-day bins of the seasonal profile (UTC day). */
  seasonBins: number;
  /** Weight of one day's visit (a bin-width of data) in a bin's mean and mean absolute residual. */
  seasonAlpha: number;
  /** EWMA weight that smooths the value before it is compared with the seasonal profile. */
  seasonSmoothing: number;
  /**
   * If > 0, the smoothing is set by time instead: time constant in minutes, so the same smoothing
   * applies at any sampling step (weight 1 − e^(−Δt/τ)); `seasonSmoothing` is then unused.
   */
  seasonSmoothingMinutes: number;
  /**
   * Floor of a bin's residual scale, as a fraction of the all-bin scale: a bin that happened to be
   * quiet on the days it was seen does not make ordinary noise look extreme.
   */
  seasonDevFloor: number;
  /** Fraction of its distance to the hour-smoothed value that the seen range gives up per step. */
  rangeDecay: number;
  /** Range excursions below this fraction of the range are ignored. */
  noveltyOffset: number;
  /** Excursions smaller than this many mean |Δ| (the step noise) are ignored. */
  noveltyMinSteps: number;
  /**
   * Scale of the score: digits / this up to score 0.5, then 1 − this / (4 · digits), approaching 1
   * (see `digitsToScore`).
   */
  fullScoreDigits: number;
  /** Per-step decay of the recent peak score. */
  peakDecay: number;
  /** Scores that do not exceed the decayed recent peak are multiplied by this (0..1). */
  peakDamping: number;
  /** Which built-in channels contribute. The external channel contributes whenever it is fed. */
  channels: { step: boolean; seasonal: boolean; novelty: boolean };
  likelihood: LikelihoodConfig;
  /** Likelihood of the external forecast error; single-step windows by default (one bad forecast counts). */
  externalLikelihood: LikelihoodConfig;
}

export const DEFAULT_DETECTOR_CONFIG: Readonly<DetectorConfig> = {
  scaleAlpha: 0.0013,
  seasonBins: 96,
  seasonAlpha: 0.6,
  seasonSmoothing: 0.1,
  seasonSmoothingMinutes: 60,
  seasonDevFloor: 0.5,
  rangeDecay: 0.000034,
  noveltyOffset: 0.025,
  noveltyMinSteps: 0,
  fullScoreDigits: 5,
  peakDecay: 0.99,
  peakDamping: 0.5,
  // The last-value channel lowered the NAB score in every configuration tried (more false alarms
  // than catches); it stays available for other streams.
  channels: { step: false, seasonal: true, novelty: true },
  likelihood: DEFAULT_LIKELIHOOD_CONFIG,
  externalLikelihood: { ...DEFAULT_LIKELIHOOD_CONFIG, shortWindows: [1, 8] },
};

/** Deep-partial config accepted by the constructor. */
export type DetectorOptions = Partial<
  Omit<DetectorConfig, "channels" | "likelihood" | "externalLikelihood">
> & {
  channels?: Partial<DetectorConfig["channels"]>;
  likelihood?: Partial<LikelihoodConfig>;
  externalLikelihood?: Partial<LikelihoodConfig>;
};

function resolveConfig(o: DetectorOptions = {}): DetectorConfig {
  return {
    ...DEFAULT_DETECTOR_CONFIG,
    ...o,
    channels: { ...DEFAULT_DETECTOR_CONFIG.channels, ...o.channels },
    likelihood: { ...DEFAULT_DETECTOR_CONFIG.likelihood, ...o.likelihood },
    externalLikelihood: { ...DEFAULT_DETECTOR_CONFIG.externalLikelihood, ...o.externalLikelihood },
  };
}

const likelihoodConfigSchema = z.object({
  shortWindows: z.array(z.number().int()),
  longRunAlpha: z.number().gt(0).lte(1),
  minStd: z.number().gt(0),
  warmupSteps: z.number().int().min(0),
});

const configSchema = z.object({
  scaleAlpha: z.number().gt(0).lte(1),
  seasonBins: z.number().int().min(1).max(1440),
  seasonAlpha: z.number().gt(0).lte(1),
  seasonSmoothing: z.number().gt(0).lte(1),
  seasonSmoothingMinutes: z.number().min(0),
  // Absent in snapshots written before it was a setting (it was the constant 0.5).
  seasonDevFloor: z.number().min(0).default(0.5),
  rangeDecay: z.number().min(0).lte(1),
  noveltyOffset: z.number().min(0),
  noveltyMinSteps: z.number().min(0),
  fullScoreDigits: z.number().gt(0),
  peakDecay: z.number().min(0).lte(1),
  peakDamping: z.number().min(0).lte(1),
  channels: z.object({ step: z.boolean(), seasonal: z.boolean(), novelty: z.boolean() }),
  likelihood: likelihoodConfigSchema,
  externalLikelihood: likelihoodConfigSchema,
});

const stateSchema = z.object({
  /** Values seen (non-null). */
  n: z.number().int().nonnegative(),
  /** Null values seen. */
  missing: z.number().int().nonnegative(),
  /** Timestamp of the last seen value, epoch ms. */
  lastMs: z.number(),
  last: z.number(),
  /** Mean |Δ| between consecutive seen values (the last-value forecaster's noise scale). */
  stepScale: z.number().nonnegative(),
  /** Mean |smoothed − seasonal profile| over all bins (floor of the per-bin scales). */
  seasonScale: z.number().nonnegative(),
  smoothed: z.number(),
  seasonMean: z.array(z.number()),
  /** Mean absolute residual per bin; −1 = bin not visited yet. */
  seasonDev: z.array(z.number().min(-1)),
  lo: z.number(),
  hi: z.number(),
  peak: z.number(),
  step: likelihoodStateSchema,
  seasonal: likelihoodStateSchema,
  external: likelihoodStateSchema,
});
type DetectorState = z.infer<typeof stateSchema>;

export const detectorSnapshotSchema = z.object({
  version: z.literal(1),
  /** Absent = the default configuration (what every host's detectors use; not stored again and again). */
  config: configSchema.optional(),
  state: stateSchema,
});
/** What `toJSON` returns: plain JSON, a few KB. */
export type DetectorSnapshot = z.infer<typeof detectorSnapshotSchema>;

/** Evidence behind the newest score, in decimal digits of surprisal (−log10 P); for explanations. */
export interface ChannelDigits {
  step: number;
  seasonal: number;
  novelty: number;
  external: number;
}

/**
 * Online anomaly score of one metric stream, fraction 0..1.
 *
 * Forecaster stage (per step, O(1)) — each turns the new value into a surprise in the stream's own
 * noise units:
 * - `step`: last-value forecast; |x − previous| / mean |Δ|.
 * - `seasonal`: time-of-day profile; |EWMA(x) − bin mean| / bin mean absolute residual.
 * - `external` (optional): a caller's forecast error already in noise units, e.g. the LSTM's
 *   one-step error in per-host z units.
 *
 * Likelihood stage: each surprise stream goes through its own `AnomalyLikelihood` (recent surprises
 * vs their own long-run distribution → Gaussian tail surprisal).
 *
 * Novelty: a value outside the range seen so far (the range slowly relaxes towards the level, so one
 * old outlier does not blind it forever) is surprising in itself; its surprisal grows with the
 * excursion relative to the range.
 *
 * Output: the largest surprisal over the channels, divided by `fullScoreDigits` and clipped to 0..1;
 * a score that does not exceed the (decaying) recent peak is damped, so an anomaly yields one sharp
 * alert rather than a plateau of them. Missing values (null) leave the built-in channels untouched.
 *
 * State is plain JSON (`toJSON` / `fromJSON`); a restored detector continues bit-identically.
 *
 * @example
 * const d = new MetricAnomalyDetector();
 * const score = d.update(Date.now(), 42.5); // 0..1
 * const lstmScore = d.update(Date.now() + 60_000, 43.1, 0.8); // with the LSTM's error, z units
 * const saved = JSON.stringify(d.toJSON());
 * const again = MetricAnomalyDetector.fromJSON(JSON.parse(saved));
 */
export class MetricAnomalyDetector {
  readonly config: Readonly<DetectorConfig>;
  private s: DetectorState;
  private readonly lik: { step: AnomalyLikelihood; seasonal: AnomalyLikelihood; external: AnomalyLikelihood };
  private digits: ChannelDigits = { step: 0, seasonal: 0, novelty: 0, external: 0 };
  private weightFor = Number.NaN;
  private weight = 0;
  /** The configuration equals the defaults, so snapshots leave it out. */
  private readonly defaultConfig: boolean;
  private smoothingFor = Number.NaN;
  private smoothingWeight = 0;

  /**
   * @param options configuration overrides (ignored when `snapshot` is given: it carries its config)
   * @param snapshot state to continue from, already validated (see `fromJSON` for untrusted input)
   */
  constructor(options: DetectorOptions = {}, snapshot?: DetectorSnapshot, owned?: typeof OWNED) {
    // A snapshot's config was validated when the snapshot was (fromJSON) or made (toJSON).
    this.config = snapshot ? (snapshot.config ?? DEFAULT_CONFIG) : configSchema.parse(resolveConfig(options));
    const c = this.config;
    this.defaultConfig = c === DEFAULT_CONFIG || JSON.stringify(c) === DEFAULT_CONFIG_JSON;
    const st = snapshot?.state;
    if (st && (st.seasonMean.length !== c.seasonBins || st.seasonDev.length !== c.seasonBins)) {
      throw new RangeError(`snapshot has ${st.seasonMean.length} season bins, config ${c.seasonBins}`);
    }
    this.s = st
      ? owned === OWNED
        ? st
        : { ...st, seasonMean: st.seasonMean.slice(), seasonDev: st.seasonDev.slice() }
      : {
          n: 0,
          missing: 0,
          lastMs: 0,
          last: 0,
          stepScale: 0,
          seasonScale: 0,
          smoothed: 0,
          seasonMean: new Array<number>(c.seasonBins).fill(0),
          seasonDev: new Array<number>(c.seasonBins).fill(-1),
          lo: 0,
          hi: 0,
          peak: 0,
          step: new AnomalyLikelihood(c.likelihood).toJSON(),
          seasonal: new AnomalyLikelihood(c.likelihood).toJSON(),
          external: new AnomalyLikelihood(c.externalLikelihood).toJSON(),
        };
    this.lik = {
      step: new AnomalyLikelihood(c.likelihood, this.s.step, owned === OWNED),
      seasonal: new AnomalyLikelihood(c.likelihood, this.s.seasonal, owned === OWNED),
      external: new AnomalyLikelihood(c.externalLikelihood, this.s.external, owned === OWNED),
    };
  }

  /**
   * Scores one step.
   *
   * @param timestampMs epoch ms of the step (its UTC time of day picks the seasonal bin)
   * @param value the metric's value, any unit; null (or NaN/±Infinity) = missing
   * @param externalForecastError optional forecast error of this step from another model, in the
   *   stream's noise units (e.g. z units); its magnitude feeds the `external` likelihood channel
   * @returns anomaly score, fraction 0..1 (0 for a missing value with no external error)
   */
  update(timestampMs: number, value: number | null, externalForecastError?: number | null): number {
    const c = this.config;
    const s = this.s;
    const dg = this.digits;
    dg.step = 0;
    dg.seasonal = 0;
    dg.novelty = 0;
    dg.external = 0;
    if (externalForecastError != null && Number.isFinite(externalForecastError)) {
      dg.external = this.lik.external.update(Math.abs(externalForecastError));
    }
    if (value === null || !Number.isFinite(value)) {
      s.missing++;
      return this.emit(dg.external);
    }
    const x = Math.min(MAX_ABS_VALUE, Math.max(-MAX_ABS_VALUE, value));
    s.n++;
    const first = s.n === 1;
    const floor = RELATIVE_SCALE_FLOOR * Math.abs(s.smoothed) + Number.MIN_VALUE;

    // Seasonal forecaster: smoothed value vs the profile of this time of day.
    const dtMinutes = Number.isFinite(timestampMs) ? Math.max(0, timestampMs - s.lastMs) / 60_000 : 0;
    let smoothing = c.seasonSmoothing;
    if (c.seasonSmoothingMinutes > 0) {
      if (dtMinutes !== this.smoothingFor) {
        // Steps are usually regular: cache the exp (derived, so not part of the state).
        this.smoothingFor = dtMinutes;
        this.smoothingWeight = 1 - Math.exp(-dtMinutes / c.seasonSmoothingMinutes);
      }
      smoothing = this.smoothingWeight;
    }
    s.smoothed = first ? x : s.smoothed + smoothing * (x - s.smoothed);
    if (Number.isFinite(timestampMs)) s.lastMs = timestampMs;
    let seasonSurprise = 0;
    if (Number.isFinite(timestampMs)) {
      const bin = Math.min(
        c.seasonBins - 1,
        Math.floor(((((timestampMs % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) * c.seasonBins),
      );
      const residual = Math.abs(s.smoothed - s.seasonMean[bin]!);
      const dev = s.seasonDev[bin]!;
      if (dev >= 0) {
        seasonSurprise = residual / (Math.max(dev, c.seasonDevFloor * s.seasonScale) + floor);
        // Weight by the time this point covers within the bin, so a bin learns `seasonAlpha` per day
        // whatever the sampling step (at 60 s a 10-min bin gets 10 points a day, at 1 h one in six).
        const covered = Math.min(1, (dtMinutes * 60_000 * c.seasonBins) / DAY_MS);
        if (covered !== this.weightFor) {
          // Steps are usually regular: cache the pow (derived, so not part of the state).
          this.weightFor = covered;
          this.weight = 1 - Math.pow(1 - c.seasonAlpha, covered);
        }
        const w = this.weight;
        s.seasonDev[bin] = dev + w * (residual - dev);
        s.seasonMean[bin] = s.seasonMean[bin]! + w * (s.smoothed - s.seasonMean[bin]!);
        s.seasonScale += Math.max(c.scaleAlpha, 1 / s.n) * (residual - s.seasonScale);
      } else {
        s.seasonMean[bin] = s.smoothed;
        s.seasonDev[bin] = s.seasonScale;
      }
    }

    if (!first) {
      const delta = Math.abs(x - s.last);
      if (c.channels.step) dg.step = this.lik.step.update(delta / (s.stepScale + floor));
      if (c.channels.seasonal) dg.seasonal = this.lik.seasonal.update(seasonSurprise);
      // One warm-up for all evidence: the seen range forms over the same first steps as the
      // likelihood's long-run statistics (a separate novelty warm-up had no effect under CV at 25–100).
      if (c.channels.novelty && s.n > c.likelihood.warmupSteps) {
        const beyond = Math.max(x - s.hi, s.lo - x);
        const excursion = beyond / (s.hi - s.lo + floor) - c.noveltyOffset;
        if (excursion > 0 && beyond > c.noveltyMinSteps * s.stepScale)
          // 4 × the score scale: a novelty scores at least 1 − 1/16 (a separate setting, 20 digits by
          // default, changed no CV figure at 10 or 40: it only orders novelty against seasonal evidence).
          dg.novelty = 4 * c.fullScoreDigits * (1 + Math.min(excursion, 1e6));
      }
      s.stepScale += Math.max(c.scaleAlpha, 1 / s.n) * (delta - s.stepScale);
      // The range relaxes towards the hour-smoothed value the seasonal channel keeps anyway (a
      // separate level EWMA, weight 0.19 per step, gave the same NAB figures to the digit).
      s.hi = Math.max(x, s.hi - c.rangeDecay * (s.hi - s.smoothed));
      s.lo = Math.min(x, s.lo + c.rangeDecay * (s.smoothed - s.lo));
    } else {
      s.lo = x;
      s.hi = x;
    }
    s.last = x;
    return this.emit(Math.max(dg.step, dg.seasonal, dg.novelty, dg.external));
  }

  /** Surprisal per channel behind the newest score (decimal digits; 0 = no evidence). */
  lastDigits(): Readonly<ChannelDigits> {
    return this.digits;
  }

  /** Plain-JSON snapshot (a copy; the config is included unless it is the default one). */
  toJSON(): DetectorSnapshot {
    const s = this.s;
    return {
      version: 1,
      ...(this.defaultConfig ? {} : { config: structuredCloneConfig(this.config) }),
      state: {
        ...s,
        seasonMean: s.seasonMean.slice(),
        seasonDev: s.seasonDev.slice(),
        step: this.lik.step.toJSON(),
        seasonal: this.lik.seasonal.toJSON(),
        external: this.lik.external.toJSON(),
      },
    };
  }

  /**
   * An independent copy that continues exactly like this one (no validation, no JSON): e.g. to score
   * a provisional point without committing it. Much cheaper than `fromJSON(toJSON())`.
   */
  clone(): MetricAnomalyDetector {
    // The snapshot is a fresh copy nobody else holds, so the constructor's own copies are skipped.
    return new MetricAnomalyDetector({}, this.toJSON(), OWNED);
  }

  /** Restores a `toJSON` snapshot (validated: it usually comes back from storage). */
  static fromJSON(snapshot: unknown): MetricAnomalyDetector {
    return new MetricAnomalyDetector({}, detectorSnapshotSchema.parse(snapshot));
  }

  private emit(digits: number): number {
    const c = this.config;
    let score = digitsToScore(digits, c.fullScoreDigits);
    const decayed = this.s.peak * c.peakDecay;
    this.s.peak = Math.max(score, decayed);
    // Only a new high stands out: the tail of an alert is damped, so one event gives one alert.
    if (score <= decayed) score *= c.peakDamping;
    return score;
  }
}

/**
 * Surprisal → score, continuous and strictly increasing in the evidence: linear (digits / full) up to
 * 0.5, then 1 − full / (4 · digits), which meets the line with the same slope and approaches 1 without
 * reaching it for any evidence the channels can report (≤ ≈ 2·10⁷ digits), so strong evidence is still
 * ranked by its strength instead of piling up at exactly 1. Below 0.5 the score is the old
 * min(1, digits / full) unchanged. 0 (or NaN) digits → 0.
 */
export function digitsToScore(digits: number, fullScoreDigits: number): number {
  if (!(digits > 0)) return 0;
  const half = 0.5 * fullScoreDigits;
  return digits <= half ? digits / fullScoreDigits : 1 - fullScoreDigits / (4 * digits);
}

const DEFAULT_CONFIG: DetectorConfig = configSchema.parse(resolveConfig());
const DEFAULT_CONFIG_JSON = JSON.stringify(DEFAULT_CONFIG);

/** Marks a snapshot the constructor may keep as it is (see `clone`). */
const OWNED: unique symbol = Symbol("owned snapshot");

function structuredCloneConfig(c: Readonly<DetectorConfig>): DetectorConfig {
  return {
    ...c,
    channels: { ...c.channels },
    likelihood: { ...c.likelihood, shortWindows: [...c.likelihood.shortWindows] },
  };
}
