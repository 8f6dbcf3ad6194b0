import { z } from "zod";
import { tailSurprisal } from "./tail.ts";

/** Longest short-term window the likelihood keeps (ring buffer length cap, keeps updates O(64)). */
export const MAX_SHORT_WINDOW = 64;

export interface LikelihoodConfig {
  /** Short-term averaging windows, steps (each 1..64); the most surprising one is reported. */
  shortWindows: number[];
  /** Weight of the newest surprise in the long-run mean/variance (≈ 1 / memory in steps). */
  longRunAlpha: number;
  /** Floor of the long-run std, in the (log1p-compressed) surprise units. */
  minStd: number;
  /** Steps before any evidence is reported (the long-run statistics are still forming). */
  warmupSteps: number;
}

export const DEFAULT_LIKELIHOOD_CONFIG: Readonly<LikelihoodConfig> = {
  shortWindows: [8],
  longRunAlpha: 0.00027,
  minStd: 0.14,
  warmupSteps: 50,
};

export const likelihoodStateSchema = z.object({
  /** Last `max(shortWindows)` compressed surprises, ring buffer. */
  ring: z.array(z.number()),
  /** Ring index the next surprise is written to. */
  head: z.number().int().nonnegative(),
  /** Surprises seen. */
  count: z.number().int().nonnegative(),
  /** Long-run exponentially weighted mean of the compressed surprise. */
  mean: z.number(),
  /** Long-run exponentially weighted variance of the compressed surprise. */
  variance: z.number().nonnegative(),
});
export type LikelihoodState = z.infer<typeof likelihoodStateSchema>;

/** −log10(1/2): the surprisal of a fair coin flip, the zero point of the reported digits. */
const COIN_FLIP_DIGITS = Math.LOG10E * Math.LN2;

/** Surprises above this many units are treated as this many (keeps log1p and sums finite). */
const MAX_SURPRISE = 1e12;

/**
 * Likelihood stage, in the spirit of HTM's anomaly likelihood: how improbable are the *recent*
 * surprises given the long-run distribution of this stream's own surprises?
 *
 * A surprise is any non-negative prediction error in the stream's own noise units (e.g. |error| / MAD,
 * or an LSTM's one-step error in z units). It is compressed with log1p (errors are heavy-tailed; the
 * Gaussian tail below is then less wrong), averaged over each short window, compared with the long-run
 * exponentially weighted mean/std, and turned into a Gaussian tail probability. The result is the
 * surprisal −log10 (2·P) of the most improbable window: 0 = no more surprising than usual, 3 ≈ a
 * 1-in-2000 event.
 * Because it is measured against the stream's own history, surprisals are comparable across streams of
 * very different scales and noise levels, which is what lets one global threshold work.
 *
 * Update cost O(Σ shortWindows); state is plain JSON.
 *
 * @example
 * const lik = new AnomalyLikelihood();
 * for (const err of forecastErrorsInSigma) {
 *   const digits = lik.update(Math.abs(err)); // −log10 tail probability, ≥ 0
 * }
 */
export class AnomalyLikelihood {
  readonly config: Readonly<LikelihoodConfig>;
  private s: LikelihoodState;

  /** @param owned `state` is a copy nobody else holds: keep it instead of copying it */
  constructor(config: Partial<LikelihoodConfig> = {}, state?: LikelihoodState, owned = false) {
    this.config = { ...DEFAULT_LIKELIHOOD_CONFIG, ...config };
    const windows = this.config.shortWindows;
    if (windows.length === 0 || windows.some((w) => !Number.isInteger(w) || w < 1 || w > MAX_SHORT_WINDOW)) {
      throw new RangeError(
        `shortWindows must be integers 1..${MAX_SHORT_WINDOW}, got [${windows.join(", ")}]`,
      );
    }
    const ringLength = Math.max(...windows);
    if (state !== undefined) {
      if (state.ring.length !== ringLength || state.head >= ringLength) {
        throw new RangeError(
          `likelihood state ring has length ${state.ring.length}, config needs ${ringLength}`,
        );
      }
      this.s = owned ? state : { ...state, ring: state.ring.slice() };
    } else {
      this.s = { ring: new Array<number>(ringLength).fill(0), head: 0, count: 0, mean: 0, variance: 0 };
    }
  }

  /**
   * Folds in one surprise (≥ 0; negative or NaN count as 0) and returns the surprisal −log10 (2·P)
   * of the most improbable short window, ≥ 0 (0 during warm-up and for windows at or below the
   * long-run mean). The long-run statistics are updated
   * after scoring, so a surprise is never judged against itself.
   */
  update(surprise: number): number {
    const s = this.s;
    const c = this.config;
    const e = surprise > 0 ? Math.min(surprise, MAX_SURPRISE) : 0;
    const u = Math.log1p(e);
    const ring = s.ring;
    const n = ring.length;
    ring[s.head] = u;
    s.head = s.head + 1 === n ? 0 : s.head + 1;
    s.count++;

    let best = 0;
    if (s.count > c.warmupSteps) {
      const sd = Math.max(Math.sqrt(s.variance), c.minStd);
      for (const w of c.shortWindows) {
        let sum = 0;
        let i = s.head;
        for (let k = 0; k < w; k++) {
          i = i === 0 ? n - 1 : i - 1;
          sum += ring[i]!;
        }
        // Digits beyond a coin flip: recent surprises at or below their usual mean count as 0 (and
        // then need no tail computation: this runs for every metric of every step).
        const z = (sum / w - s.mean) / sd;
        if (!(z > 0)) continue;
        const digits = tailSurprisal(z) - COIN_FLIP_DIGITS;
        if (digits > best) best = digits;
      }
    }
    // Plain running average until there are 1/alpha samples, then exponential forgetting.
    const a = Math.max(c.longRunAlpha, 1 / s.count);
    const d = u - s.mean;
    s.mean += a * d;
    s.variance = (1 - a) * (s.variance + a * d * d);
    return best;
  }

  /** Plain-JSON snapshot (a copy); restore with `AnomalyLikelihood.fromJSON`. */
  toJSON(): LikelihoodState {
    return { ...this.s, ring: this.s.ring.slice() };
  }

  /** Restores a snapshot; validates it (it usually comes back from storage). */
  static fromJSON(state: unknown, config: Partial<LikelihoodConfig> = {}): AnomalyLikelihood {
    return new AnomalyLikelihood(config, likelihoodStateSchema.parse(state));
  }
}
