/**
 * What the demo learns from the stream, pure: every `POST /metrics` response carries each host's
 * latest prediction, so level transitions are seen at batch granularity (the host index behind
 * GET /hosts may lag). Simulated downtimes (ground truth from the simulator, not the model) are
 * logged when the stream passes them, with how long before them the host was flagged.
 */
import type { Downtime } from "../simulator/fleet.ts";
import type { HostIngest, Level, Prediction } from "./api.ts";

export type DemoEvent =
  | {
      kind: "level";
      /** Data time of the prediction (its as_of), epoch ms. */
      atMs: number;
      host: string;
      from: Level;
      to: Level;
      /** Warning-horizon risk, fraction 0..1. */
      risk30m: number;
      driver: string | null;
    }
  | {
      kind: "down";
      atMs: number;
      host: string;
      family: Downtime["family"];
      /** Minutes the host had been at warning or critical when it went down; null = not flagged. */
      warnedMinutes: number | null;
      levelAtDown: Level | "unknown";
    };

export interface HostState {
  prediction: Prediction;
  /** Data time the host entered its current non-ok level run (warning or critical), epoch ms. */
  flaggedSinceMs: number | null;
}

/** Horizon the ranking and the log call "the" risk (the warning horizon). */
export const WARNING_HORIZON = "30m";

export class FleetTracker {
  readonly hosts = new Map<string, HostState>();
  readonly events: DemoEvent[] = [];
  /** Points the edge answered for, and what it did with them. */
  accepted = 0;
  duplicates = 0;
  droppedLate = 0;
  /** Per downtime (same order as `downtime`): already logged or skipped. */
  private readonly logged: boolean[] = [];
  /** Per logged downtime: minutes flagged beforehand, or null (kept apart from the capped event list). */
  private readonly downs: (number | null)[] = [];
  private readonly downtime: Downtime[];

  constructor(
    downtime: readonly Downtime[],
    /** Events before this data time are not logged (the warm-up's), epoch ms. */
    private logFromMs: number,
    private readonly maxEvents = 500,
  ) {
    this.downtime = [...downtime].sort((a, b) => a.startMs - b.startMs || a.host.localeCompare(b.host));
  }

  /** Starts logging at `ms` (data time): the warm-up's transitions are history, not news. */
  startLogging(ms: number): void {
    this.logFromMs = ms;
  }

  /** Folds in one POST /metrics response's per-host results. */
  observe(results: readonly HostIngest[]): void {
    for (const r of results) {
      this.accepted += r.accepted;
      this.duplicates += r.duplicates;
      this.droppedLate += r.dropped_late;
      if (r.prediction !== null) this.update(r.prediction);
    }
  }

  private update(p: Prediction): void {
    const prev = this.hosts.get(p.host);
    const atMs = Date.parse(p.as_of);
    // A prediction past a downtime's start comes after the restart: judge the downtime on the state
    // before it (a batch can span a whole outage when the replay is fast).
    this.resolveDowntime((d) => d.host === p.host && d.startMs <= atMs);
    let flaggedSinceMs = prev?.flaggedSinceMs ?? null;
    if (p.level === "ok") flaggedSinceMs = null;
    else if (flaggedSinceMs === null) flaggedSinceMs = Date.parse(p.level_since ?? p.as_of);
    const from = prev?.prediction.level ?? "ok";
    if (from !== p.level && atMs >= this.logFromMs) {
      const rising = from === "ok" || p.level === "critical";
      this.push({
        kind: "level",
        atMs,
        host: p.host,
        from,
        to: p.level,
        risk30m: p.risk[WARNING_HORIZON] ?? Math.max(0, ...Object.values(p.risk)),
        driver: rising ? (p.contributors[0]?.metric ?? null) : null,
      });
    }
    this.hosts.set(p.host, { prediction: p, flaggedSinceMs });
  }

  /** Logs the simulated downtimes that started at or before `dataTimeMs` (data time reached by the stream). */
  passTime(dataTimeMs: number): void {
    this.resolveDowntime((d) => d.startMs <= dataTimeMs);
  }

  private resolveDowntime(due: (d: Downtime) => boolean): void {
    for (let i = 0; i < this.downtime.length; i++) {
      const d = this.downtime[i]!;
      if (this.logged[i] === true || !due(d)) continue;
      this.logged[i] = true;
      if (d.startMs < this.logFromMs) continue;
      const state = this.hosts.get(d.host);
      const flagged = state?.flaggedSinceMs ?? null;
      const warnedMinutes = flagged === null ? null : Math.max(0, Math.round((d.startMs - flagged) / 60_000));
      this.downs.push(warnedMinutes);
      this.push({
        kind: "down",
        atMs: d.startMs,
        host: d.host,
        family: d.family,
        warnedMinutes,
        levelAtDown: state?.prediction.level ?? "unknown",
      });
    }
  }

  /** Simulated downtimes under way at `dataTimeMs`, by host. */
  downAt(dataTimeMs: number): Map<string, Downtime> {
    const out = new Map<string, Downtime>();
    for (const d of this.downtime) if (d.startMs <= dataTimeMs && dataTimeMs < d.endMs) out.set(d.host, d);
    return out;
  }

  /** Events by data time (they are observed per batch, so a little out of order). */
  eventsInOrder(): DemoEvent[] {
    return [...this.events].sort((a, b) => a.atMs - b.atMs);
  }

  /** Downtimes logged so far and how many of them were flagged beforehand. */
  summary(): { downtimes: number; flagged: number; leadMinutes: number[] } {
    const lead = this.downs.flatMap((m) => (m === null ? [] : [m]));
    return { downtimes: this.downs.length, flagged: lead.length, leadMinutes: lead };
  }

  private push(e: DemoEvent): void {
    this.events.push(e);
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
  }
}
