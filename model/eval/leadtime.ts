/**
 * Event-level evaluation of early warnings against labelled downtime, shared by the lead-time benchmark
 * and threshold tuning. Pure (no I/O).
 *
 * Definitions (printed with every report):
 * - An alert *episode* is a maximal run of steps whose level is not "ok"; its onset is the end of the
 *   first such step (the moment the alert could have been sent).
 * - An episode is a true positive when a downtime of the same host starts within
 *   [onset, onset + maxLeadMs] — the warning came at most `maxLeadMs` early — otherwise a false alarm.
 * - A downtime is detected when some true-positive episode matches it; its lead time is
 *   start − (earliest matching onset).
 */

export interface Episode {
  host: string;
  onsetMs: number;
  /** End of the last alerting step, exclusive. */
  endMs: number;
}

export interface LabelledDowntime {
  host: string;
  family: string;
  startMs: number;
}

export interface EventReport {
  episodes: number;
  truePositives: number;
  falseAlarms: number;
  detected: number;
  downtimes: number;
  precision: number;
  recall: number;
  falseAlarmsPerHostDay: number;
  /** Lead times of detected downtimes, minutes, ascending. */
  leadMinutes: number[];
  medianLeadMinutes: number | null;
  p10LeadMinutes: number | null;
}

/**
 * Episodes from a host's per-step alert flags. `stepEndMs[t]` is when step t's verdict is known.
 */
export function episodesFromFlags(
  host: string,
  stepEndMs: ArrayLike<number>,
  alerting: ArrayLike<boolean>,
): Episode[] {
  const out: Episode[] = [];
  let onset: number | null = null;
  let last = 0;
  for (let t = 0; t < alerting.length; t++) {
    if (alerting[t]) {
      if (onset === null) onset = stepEndMs[t]!;
      last = stepEndMs[t]!;
    } else if (onset !== null) {
      out.push({ host, onsetMs: onset, endMs: last });
      onset = null;
    }
  }
  if (onset !== null) out.push({ host, onsetMs: onset, endMs: last });
  return out;
}

/** Quantile (0..1) of an ascending array by linear interpolation; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Scores episodes against downtime.
 *
 * @param downtime the events to count for recall/lead (e.g. only families with a precursor); episodes
 *   matching any event in `allDowntime` are not false alarms
 * @param hostDays observed host-days, for the false-alarm rate
 */
export function evaluateEpisodes(
  episodes: readonly Episode[],
  downtime: readonly LabelledDowntime[],
  allDowntime: readonly LabelledDowntime[],
  hostDays: number,
  maxLeadMs: number,
): EventReport {
  const byHost = new Map<string, LabelledDowntime[]>();
  for (const d of allDowntime) {
    const list = byHost.get(d.host) ?? [];
    list.push(d);
    byHost.set(d.host, list);
  }
  const earliest = new Map<LabelledDowntime, number>();
  let tp = 0;
  for (const e of episodes) {
    const matches = (byHost.get(e.host) ?? []).filter(
      (d) => d.startMs >= e.onsetMs && d.startMs - e.onsetMs <= maxLeadMs,
    );
    if (matches.length === 0) continue;
    tp++;
    for (const d of matches)
      earliest.set(d, Math.min(earliest.get(d) ?? Number.POSITIVE_INFINITY, e.onsetMs));
  }
  const leads: number[] = [];
  for (const d of downtime) {
    const onset = earliest.get(d);
    if (onset !== undefined) leads.push((d.startMs - onset) / 60_000);
  }
  leads.sort((a, b) => a - b);
  const fp = episodes.length - tp;
  return {
    episodes: episodes.length,
    truePositives: tp,
    falseAlarms: fp,
    detected: leads.length,
    downtimes: downtime.length,
    precision: episodes.length === 0 ? 1 : tp / episodes.length,
    recall: downtime.length === 0 ? 1 : leads.length / downtime.length,
    falseAlarmsPerHostDay: hostDays > 0 ? fp / hostDays : 0,
    leadMinutes: leads,
    medianLeadMinutes: quantile(leads, 0.5),
    p10LeadMinutes: quantile(leads, 0.1),
  };
}
