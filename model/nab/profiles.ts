/** Weights of one NAB application profile (NAB's `config/profiles.json`). */
export interface CostMatrix {
  /** Reward for the earliest detection in a window at its left edge (scaled down later in the window). */
  tpWeight: number;
  /** Cost of one detection outside every window (scaled by its distance after the preceding window). */
  fpWeight: number;
  /** Cost of a window with no detection. */
  fnWeight: number;
}

export type ProfileName = "standard" | "reward_low_FP_rate" | "reward_low_FN_rate";

/** NAB's three profiles, in NAB's order. */
export const NAB_PROFILES: Readonly<Record<ProfileName, CostMatrix>> = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 },
};

export const PROFILE_NAMES: readonly ProfileName[] = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"];

/** NAB's probationary fraction of every file: the first 15 % of rows (at most 750) are not scored. */
export const PROBATION_FRACTION = 0.15;
