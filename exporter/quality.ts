/**
 * Model quality, pure: was a warning followed by a downtime within the horizon, and how early?
 *
 * A warning is an `alerts` transition from ok (to warning, or straight to critical). A downtime is the
 * host's first transition to critical, or the start of a silence (no point for at least the silence
 * threshold), in `[warning, warning + horizon]`:
 * - **followed** — the earliest such downtime; its lead is downtime − warning, seconds (0 for a
 *   transition straight from ok to critical).
 * - **pending** — none yet, and either the horizon is not over, or the host has sent nothing since
 *   before the horizon ended and has not been quiet for the silence threshold yet (a silence that
 *   started inside the horizon cannot be told from a late point before that).
 * - **false_alarm** — none, and the horizon is over.
 *
 * Nothing here reads a clock or a database: `queries.ts` fetches the inputs and judges them (through
 * {@link QualityMemo}), `metrics.ts` exports the sums.
 */

export type Outcome = "followed" | "false_alarm" | "pending";
export const OUTCOMES: readonly Outcome[] = ["followed", "false_alarm", "pending"];

export interface Warning {
  tenant: string;
  host: string;
  /** When the transition from ok happened, ms since the epoch. */
  atMs: number;
  /** The host's first transition to critical in [atMs, atMs + horizon], or null. */
  criticalAtMs: number | null;
  /** The host's newest point (host_latest.point_time), or null. */
  newestPointMs: number | null;
  /** Starts of the host's silences that ended (from the 1-minute rollup), ascending. */
  silenceStartsMs: readonly number[];
}

export interface Judged {
  outcome: Outcome;
  /** Seconds from the warning to the downtime (followed only). */
  leadSeconds: number | null;
}

export interface QualityRules {
  horizonSeconds: number;
  silenceSeconds: number;
}

export function judge(w: Warning, nowMs: number, rules: QualityRules): Judged {
  const horizonEnd = w.atMs + rules.horizonSeconds * 1000;
  const silenceMs = rules.silenceSeconds * 1000;
  const inside = (t: number | null): t is number => t !== null && t >= w.atMs && t <= horizonEnd;
  const candidates: number[] = [];
  if (inside(w.criticalAtMs)) candidates.push(w.criticalAtMs);
  const ended = w.silenceStartsMs.find(inside);
  if (ended !== undefined) candidates.push(ended);
  // The silence still under way: the host's newest point is its last one before the quiet.
  const quietSince = w.newestPointMs;
  if (quietSince !== null && nowMs - quietSince >= silenceMs) {
    // A host already quiet at the warning counts from the warning itself.
    const start = Math.max(quietSince, w.atMs);
    if (inside(start)) candidates.push(start);
  }
  if (candidates.length > 0) {
    const first = Math.min(...candidates);
    return { outcome: "followed", leadSeconds: (first - w.atMs) / 1000 };
  }
  if (nowMs < horizonEnd) return { outcome: "pending", leadSeconds: null };
  if (quietSince !== null && quietSince < horizonEnd && nowMs - quietSince < silenceMs) {
    return { outcome: "pending", leadSeconds: null };
  }
  return { outcome: "false_alarm", leadSeconds: null };
}

export interface TenantQuality {
  counts: Record<Outcome, number>;
  /** Quantile (0.5, 0.9) → lead seconds of followed warnings; empty without any. */
  lead: Map<number, number>;
}

export const LEAD_QUANTILES = [0.5, 0.9] as const;

export interface JudgedWarning extends Judged {
  tenant: string;
}

/** Sums judged warnings up per tenant: counts per outcome, lead quantiles of the followed ones. */
export function summarise(judged: readonly JudgedWarning[]): Map<string, TenantQuality> {
  const leads = new Map<string, number[]>();
  const out = new Map<string, TenantQuality>();
  for (const j of judged) {
    let q = out.get(j.tenant);
    if (q === undefined) {
      q = { counts: { followed: 0, false_alarm: 0, pending: 0 }, lead: new Map() };
      out.set(j.tenant, q);
    }
    q.counts[j.outcome]++;
    if (j.leadSeconds !== null) {
      const l = leads.get(j.tenant) ?? [];
      l.push(j.leadSeconds);
      leads.set(j.tenant, l);
    }
  }
  for (const [tenant, l] of leads) {
    const q = out.get(tenant);
    if (q === undefined) continue;
    for (const p of LEAD_QUANTILES) q.lead.set(p, quantile(l, p));
  }
  return out;
}

/**
 * Judgements that can no longer change, kept between scrapes so only the undecided warnings are read
 * again: a warning is remembered once its horizon ended more than `graceSeconds` ago (events delivered
 * late through a lagging pipeline can still land within the grace). Entries leave with the window.
 */
export class QualityMemo {
  private readonly decided = new Map<string, JudgedWarning & { atMs: number }>();
  constructor(private readonly rules: QualityRules & { graceSeconds: number }) {}

  static key(tenant: string, host: string, atMs: number): string {
    return `${tenant}\u0000${host}\u0000${atMs}`;
  }
  get(key: string): JudgedWarning | undefined {
    return this.decided.get(key);
  }
  /** Judges `w` and remembers the result when final. */
  judge(w: Warning, nowMs: number): JudgedWarning {
    const j = { tenant: w.tenant, ...judge(w, nowMs, this.rules) };
    const settled = w.atMs + (this.rules.horizonSeconds + this.rules.graceSeconds) * 1000 <= nowMs;
    if (settled && j.outcome !== "pending")
      this.decided.set(QualityMemo.key(w.tenant, w.host, w.atMs), { ...j, atMs: w.atMs });
    return j;
  }
  /** Forgets warnings at or before `fromMs` (out of the window). */
  prune(fromMs: number): void {
    for (const [k, v] of this.decided) if (v.atMs <= fromMs) this.decided.delete(k);
  }
  clear(): void {
    this.decided.clear();
  }
  get size(): number {
    return this.decided.size;
  }
}

/** The q-quantile (0..1) with linear interpolation between ranks, as PostgreSQL's `percentile_cont`. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}
