import type { Level } from "../../contracts/prediction.ts";

/**
 * When a level is entered and left. Probabilities are calibrated (fraction 0..1) for the horizon at
 * `horizonIndex` of the model's horizons. Leaving needs the risk to fall below `exit` (< `enter`) for
 * `exitSteps` consecutive steps, entering needs `enterSteps` consecutive steps at or above `enter`:
 * that gap is the hysteresis that keeps a host hovering around a threshold from flapping.
 */
export interface LevelRule {
  horizonIndex: number;
  enter: number;
  exit: number;
  enterSteps: number;
  exitSteps: number;
}

/** Default exit threshold as a fraction of the enter threshold (the hysteresis gap). */
export const EXIT_RATIO = 0.6;

export interface AlertPolicy {
  warning: LevelRule;
  critical: LevelRule;
}

/** Serialisable alert state. */
export interface AlertState {
  level: Level;
  /** Consecutive committed steps that argued for a higher level than the current one. */
  up: number;
  /** Consecutive committed steps that argued for leaving the current level. */
  down: number;
  /** When the current level was entered, epoch ms (null while ok since start). */
  sinceMs: number | null;
}

export const initialAlertState = (): AlertState => ({ level: "ok", up: 0, down: 0, sinceMs: null });

/** Level the risk alone points to for entering (ignoring hysteresis counters). */
function entering(policy: AlertPolicy, risk: ArrayLike<number>): Level {
  if (risk[policy.critical.horizonIndex]! >= policy.critical.enter) return "critical";
  if (risk[policy.warning.horizonIndex]! >= policy.warning.enter) return "warning";
  return "ok";
}

/** Whether the risk has fallen below the exit threshold of `level`. */
function belowExit(policy: AlertPolicy, level: Exclude<Level, "ok">, risk: ArrayLike<number>): boolean {
  const rule = policy[level];
  return risk[rule.horizonIndex]! < rule.exit;
}

/**
 * Advances the alert state by one step. Pure: never modifies `s` (it returns `s` itself when nothing
 * changed), so a caller can evaluate a provisional step without committing it.
 *
 * @example
 * let s = initialAlertState();
 * s = stepAlert(policy, s, [0.1, 0.4, 0.9], Date.now()); // maybe still "ok" until enterSteps reached
 */
export function stepAlert(
  policy: AlertPolicy,
  s: AlertState,
  risk: ArrayLike<number>,
  atMs: number,
): AlertState {
  const target = entering(policy, risk);
  if (RANK[target] > RANK[s.level]) {
    const up = s.up + 1;
    const need = policy[target as Exclude<Level, "ok">].enterSteps;
    if (up >= need) return { level: target, up: 0, down: 0, sinceMs: atMs };
    return { ...s, up, down: 0 };
  }
  // Nothing to count (the usual step): the same state, no allocation — it runs on every step.
  if (s.level === "ok" || !belowExit(policy, s.level, risk)) {
    return s.up === 0 && s.down === 0 ? s : { ...s, up: 0, down: 0 };
  }
  // At warning or critical: step down one level after exitSteps below that level's exit threshold.
  const down = s.down + 1;
  if (down >= policy[s.level].exitSteps) {
    const lower: Level = s.level === "critical" ? "warning" : "ok";
    // Falling from critical lands on warning only if warning's own exit is not also satisfied.
    const next: Level = lower === "warning" && belowExit(policy, "warning", risk) ? "ok" : lower;
    return { level: next, up: 0, down: 0, sinceMs: atMs };
  }
  return { ...s, up: 0, down };
}

const RANK: Readonly<Record<Level, number>> = { ok: 0, warning: 1, critical: 2 };
