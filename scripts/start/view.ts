/**
 * The terminal view, pure: one frame of hosts ranked by the edge (GET /hosts: severity, then 30-min
 * risk) with their risk per horizon, outlook and top contributors (GET /hosts/:host/prediction for the
 * top few), simulated downtimes, every warning raised so far with what followed it, and the latest
 * events. Colour and width are parameters, so a frame renders the same on a TTY, in a log file and in
 * a test.
 *
 * The outlook says "down within N min" when the model's risk for that horizon is at least 50 %. A time
 * to breach is only a metric's straight-line trend reaching its breach level (cpu 95 %, memory 95 %,
 * latency 1000 ms, error rate 0.1), not a downtime forecast, so it is worded as such ("memory trend
 * hits 95 % in 33 min") and shown for flagged hosts only: on a host at ok it is noise beside a 0 % risk.
 */
import { METRIC_SPECS, type MetricName } from "../../model/core/metrics.ts";
import type { Downtime } from "../../simulator/fleet.ts";
import type { HostsListing } from "../../contracts/api.ts";
import type { Level, Prediction } from "../../contracts/prediction.ts";
import type { ListedHost } from "../../contracts/rpc.ts";
import type { PhaseName } from "./plan.ts";
import {
  isFalseAlarm,
  type DemoEvent,
  type FleetSnapshot,
  type JudgedDowntime,
  type Warning,
} from "./tracker.ts";

export interface ViewState {
  url: string;
  phase: PhaseName | "done";
  /** e.g. "×300, 42 %"; shown after the phase name. */
  phaseNote: string;
  /** Data time the stream has reached (newest timestamp sent), epoch ms. */
  dataTimeMs: number | null;
  listing: HostsListing | null;
  /** Why the last listing failed, if it did (the previous one is shown). */
  listingError: string | null;
  details: ReadonlyMap<string, Prediction>;
  down: ReadonlyMap<string, Downtime>;
  /** Released events, in data-time order. */
  events: readonly DemoEvent[];
  /** Runs of warning/critical since the replay began, and the simulated downtimes passed. */
  warnings: readonly Warning[];
  downs: readonly JudgedDowntime[];
  pointsSent: number;
  footer: readonly string[];
}

export interface RenderOptions {
  colour: boolean;
  /** Terminal width (lines are cut to it), or null for no limit. */
  columns: number | null;
  /** Most host rows shown. */
  maxRows: number;
  /** Most recent warnings (and missed downtimes) shown; 0 = no such section. */
  maxWarnings: number;
  /** Most recent events shown. */
  maxEvents: number;
  /** Whether to print what the outlook column means under the table (default true). */
  legend?: boolean;
}

const ANSI = {
  ok: "\x1b[32m",
  warning: "\x1b[33m",
  critical: "\x1b[31m",
  down: "\x1b[1;31m",
  dim: "\x1b[2m",
  bold: "\x1b[1m",
  reset: "\x1b[0m",
} as const;
type Paint = (k: keyof typeof ANSI) => string;
const painter =
  (colour: boolean): Paint =>
  (k) =>
    colour ? ANSI[k] : "";

export const HORIZONS = ["5m", "15m", "30m"] as const;

export const pct = (p: number | undefined): string => (p === undefined ? "–" : `${Math.round(p * 100)}%`);

/** "HH:MM" (UTC) of an epoch ms, to the nearest minute (events are stamped with their step's centre). */
export const clock = (ms: number): string =>
  new Date(Math.round(ms / 60_000) * 60_000).toISOString().slice(11, 16);

/** Seconds as "45 s", "12 min", "3.5 h". */
export function duration(seconds: number): string {
  if (seconds <= 0) return "0 s";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Cuts `line` to `columns` visible characters, keeping ANSI escapes intact. */
export function fit(line: string, columns: number | null): string {
  if (columns === null) return line;
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length;) {
    // eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
    const esc = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    if (visible >= columns) {
      i++;
      continue;
    }
    out += line[i];
    visible++;
    i++;
  }
  return out;
}

/** Visible length of `s` (ANSI escapes excluded). */
// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
export const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, "").length;

const padVisible = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - visibleLength(s)));

const METRIC_NAMES: Record<MetricName, string> = {
  cpu_usage: "cpu",
  memory_usage: "memory",
  network_latency: "latency",
  error_rate: "error rate",
};

/** A metric's breach level as a person reads it: "95 %", "1000 ms", "10 %" (error rate 0.1). */
function breachLevel(metric: MetricName): string {
  const s = METRIC_SPECS[metric];
  return s.unit === "fraction" ? `${Math.round(s.breach * 100)} %` : `${s.breach} ${s.unit}`;
}

/** "memory trend hits 95 % in 33 min", or "memory at or over 95 %" when it already is. */
export function trendText(metric: MetricName, seconds: number): string {
  const name = METRIC_NAMES[metric];
  return seconds <= 0
    ? `${name} at or over ${breachLevel(metric)}`
    : `${name} trend hits ${breachLevel(metric)} in ${duration(seconds)}`;
}

/** What the outlook column means (two lines, printed under the table). */
export const OUTLOOK_LEGEND = [
  'outlook: "down within N min" = the model puts the risk of a downtime within N min at 50 % or more;',
  '         "cpu trend hits 95 % in N min" = that metric\'s straight-line trend reaching its breach level:',
  "         a hint, not a downtime forecast (shown for hosts at warning or critical only)",
] as const;

/** Width of the outlook column. */
const OUTLOOK_WIDTH = 56;

/**
 * "down within N min" and, for a host at warning or critical, the nearest metric trend to its breach
 * level. From the host's own prediction when the view fetched it; otherwise from the index entry.
 */
export function outlook(
  h: Pick<ListedHost, "level" | "downtime_within_minutes" | "time_to_breach_s">,
  detail: Prediction | undefined,
): string {
  const parts: string[] = [];
  const within = detail ? detail.downtime_within_minutes : h.downtime_within_minutes;
  if (within !== null) parts.push(`down within ${within} min`);
  if ((detail?.level ?? h.level) === "ok") return parts.join(" · ");
  const nearest = detail
    ? (Object.entries(detail.time_to_breach) as [MetricName, number][]).sort((a, b) => a[1] - b[1])[0]
    : undefined;
  if (nearest) parts.push(trendText(nearest[0], nearest[1]));
  else if (!detail && h.time_to_breach_s !== null)
    parts.push(
      h.time_to_breach_s <= 0
        ? "a metric at or over its breach level"
        : `a metric trend hits its breach level in ${duration(h.time_to_breach_s)}`,
    );
  return parts.join(" · ");
}

function drivers(p: Prediction | undefined): string {
  if (!p) return "";
  return p.contributors
    .map((c) => {
      const parts = [
        c.z !== null ? `z=${c.z.toFixed(1)}` : null,
        c.risk_delta !== null ? `Δ${pct(c.risk_delta)}` : null,
      ]
        .filter((x) => x !== null)
        .join(" ");
      return parts ? `${c.metric} (${parts})` : c.metric;
    })
    .join(", ");
}

const levelText = (c: Paint, l: Level | "unknown"): string =>
  l === "unknown" ? l : `${c(l)}${l}${c("reset")}`;

export function eventLine(e: DemoEvent, colour: boolean): string {
  const c = painter(colour);
  const late = e.late ? ` ${c("dim")}(learnt late: the host had gone silent)${c("reset")}` : "";
  if (e.kind === "level") {
    const driver = e.driver ? `, driven by ${e.driver}` : "";
    return `${clock(e.atMs)} ${e.host} ${levelText(c, e.from)} → ${levelText(c, e.to)} (p(30m) ${pct(e.risk30m)}${driver})${late}`;
  }
  const flagged =
    e.warnedMinutes === null
      ? `not flagged beforehand (level ${e.levelAtDown})${e.family === "sudden_crash" ? ", a crash without precursor" : ""}`
      : `flagged ${e.warnedMinutes} min before (level ${e.levelAtDown})`;
  return `${clock(e.atMs)} ${e.host} ${c("down")}DOWN${c("reset")} (${e.family}, simulated) — ${flagged}${late}`;
}

/** What followed a warning, as of data time `nowMs`. */
function warningOutcome(w: Warning, nowMs: number, c: Paint): string {
  if (w.down)
    return `${c("down")}DOWN${c("reset")} at ${clock(w.down.atMs)} (${w.down.family}, simulated): lead ${w.down.leadMinutes} min`;
  if (w.endMs === null) return `still flagged after ${duration((nowMs - w.startMs) / 1000)}, no downtime yet`;
  if (isFalseAlarm(w, nowMs)) return `false alarm: back to ok at ${clock(w.endMs)}, no downtime followed`;
  return `back to ok at ${clock(w.endMs)}, no downtime so far`;
}

/**
 * The warnings raised so far (host, level reached, peak 30-min risk, when raised, what followed:
 * the downtime and its lead, or none) and the downtimes nobody flagged, oldest first; the last `max`.
 */
export function warningLines(
  warnings: readonly Warning[],
  downs: readonly JudgedDowntime[],
  nowMs: number,
  max: number,
  colour: boolean,
): string[] {
  const c = painter(colour);
  const rows: { atMs: number; line: string }[] = warnings.map((w) => ({
    atMs: w.startMs,
    line:
      `${clock(w.startMs)} ${w.host.padEnd(10)} ${c(w.peakLevel)}${w.peakLevel.padEnd(8)}${c("reset")} ` +
      `peak p(30m) ${pct(w.peakRisk30m).padStart(4)}  ${(w.driver ?? "").padEnd(15)} ${warningOutcome(w, nowMs, c)}`,
  }));
  for (const d of downs) {
    if (d.leadMinutes !== null) continue;
    const why = d.family === "sudden_crash" ? " (a crash without precursor)" : "";
    rows.push({
      atMs: d.atMs,
      line: `${clock(d.atMs)} ${d.host.padEnd(10)} ${"—".padEnd(8)} ${"".padEnd(16)}  ${"".padEnd(15)} ${c("down")}DOWN${c("reset")} (${d.family}, simulated), not flagged beforehand${why}`,
    });
  }
  rows.sort((a, b) => a.atMs - b.atMs);
  return rows.slice(-max).map((r) => r.line);
}

/**
 * "warnings: 3 raised · 2 followed by a simulated downtime (lead 21, 9 min) · 1 false alarm · 1 downtime
 * not flagged"; leads in the order of the downtimes.
 */
export function warningsHeadline(
  warnings: readonly Warning[],
  downs: readonly JudgedDowntime[],
  nowMs: number,
): string {
  const leads = downs.flatMap((d) => (d.leadMinutes === null ? [] : [d.leadMinutes]));
  const falseAlarms = warnings.filter((w) => isFalseAlarm(w, nowMs)).length;
  const missed = downs.length - leads.length;
  const led = leads.length > 0 ? ` (lead ${leads.join(", ")} min)` : "";
  return (
    `warnings: ${warnings.length} raised · ${leads.length} followed by a simulated downtime${led} · ` +
    `${falseAlarms} false alarm${falseAlarms === 1 ? "" : "s"} · ${missed} downtime${missed === 1 ? "" : "s"} not flagged`
  );
}

function hostRow(
  c: Paint,
  h: Pick<ListedHost, "host" | "level" | "risks" | "downtime_within_minutes" | "time_to_breach_s">,
  detail: Prediction | undefined,
  down: Downtime | undefined,
): string {
  const level = `${c(h.level)}${h.level.padEnd(9)}${c("reset")}`;
  const risks = HORIZONS.map((k) => pct(h.risks[k]).padStart(7)).join("");
  const look = padVisible(
    down
      ? `${c("down")}DOWN${c("reset")} ${c("dim")}(${down.family}, simulated)${c("reset")}`
      : outlook(h, detail),
    OUTLOOK_WIDTH,
  );
  return `${h.host.padEnd(10)} ${level} ${risks}  ${look} ${drivers(detail)}`.trimEnd();
}

const tableHeader = (): string =>
  `${"host".padEnd(10)} ${"level".padEnd(9)} ${HORIZONS.map((h) => `p(${h})`.padStart(7)).join("")}  ${"outlook".padEnd(OUTLOOK_WIDTH)} drivers`;

export function renderFrame(s: ViewState, o: RenderOptions): string {
  const c = painter(o.colour);
  const out: string[] = [];
  const data =
    s.dataTimeMs === null
      ? "–"
      : `${new Date(s.dataTimeMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  out.push(
    `${c("bold")}edge downtime prediction${c("reset")} · ${s.url} · ${s.phase}${s.phaseNote ? ` ${s.phaseNote}` : ""} · data up to ${data} · ${s.pointsSent.toLocaleString("en-US")} points sent`,
  );
  const total = s.listing?.total ?? 0;
  const counts = { ok: 0, warning: 0, critical: 0 };
  for (const h of s.listing?.hosts ?? []) counts[h.level]++;
  out.push(
    `${c("dim")}${total} hosts · ${counts.critical} critical · ${counts.warning} warning now · ranked by GET /hosts (severity, then 30-min risk)${s.listingError ? ` · listing failed: ${s.listingError}` : ""}${c("reset")}`,
  );
  out.push(tableHeader());
  const hosts = s.listing?.hosts ?? [];
  for (const h of hosts.slice(0, o.maxRows))
    out.push(hostRow(c, h, s.details.get(h.host), s.down.get(h.host)));
  if (hosts.length > o.maxRows) out.push(`${c("dim")}… ${hosts.length - o.maxRows} more${c("reset")}`);
  if (s.listing === null) out.push(`${c("dim")}(no listing yet)${c("reset")}`);
  if (o.legend !== false) out.push(...OUTLOOK_LEGEND.map((l) => `${c("dim")}${l}${c("reset")}`));
  if (o.maxWarnings > 0) {
    const now = s.dataTimeMs ?? 0;
    out.push("", `${c("bold")}${warningsHeadline(s.warnings, s.downs, now)}${c("reset")}`);
    const lines = warningLines(s.warnings, s.downs, now, o.maxWarnings, o.colour);
    if (lines.length === 0) out.push(`${c("dim")}(none yet)${c("reset")}`);
    out.push(...lines.map((l) => `  ${l}`));
  }
  if (o.maxEvents > 0) {
    out.push(
      "",
      `${c("dim")}events (alert transitions recorded by each host's object; DOWN = simulator ground truth)${c("reset")}`,
    );
    const recent = s.events.slice(-o.maxEvents);
    if (recent.length === 0) out.push(`${c("dim")}(none yet)${c("reset")}`);
    for (const e of recent) out.push(eventLine(e, o.colour));
  }
  if (s.footer.length > 0) out.push("", ...s.footer.map((l) => `${c("dim")}${l}${c("reset")}`));
  return out.map((l) => fit(l, o.columns)).join("\n");
}

/**
 * The fleet at its riskiest moment: each flagged host's risk per horizon, outlook and contributors as
 * its prediction said then, and what followed.
 */
export function renderPeak(
  peak: FleetSnapshot | null,
  warnings: readonly Warning[],
  nowMs: number,
  colour: boolean,
): string {
  const c = painter(colour);
  if (peak === null) return "riskiest moment: (no prediction during the replay)";
  const at = `${new Date(peak.atMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const title =
    peak.flagged > 0
      ? `the riskiest moment, ${at}: ${peak.flagged} host${peak.flagged === 1 ? "" : "s"} at warning or critical`
      : `the riskiest moment, ${at}: no host flagged; the highest 30-min risk was ${pct(peak.maxRisk30m)}`;
  const out = [`${c("bold")}${title}${c("reset")}`, tableHeader()];
  for (const p of peak.hosts) {
    out.push(
      hostRow(
        c,
        {
          host: p.host,
          level: p.level,
          risks: p.risk,
          downtime_within_minutes: p.downtime_within_minutes,
          time_to_breach_s: null,
        },
        p,
        undefined,
      ),
    );
    const asOf = Date.parse(p.as_of);
    if (Math.abs(asOf - peak.atMs) >= 60_000)
      out.push(`${" ".repeat(11)}${c("dim")}(as the response for ${clock(asOf)} showed it)${c("reset")}`);
    const w = warnings.find(
      (x) =>
        x.host === p.host && x.startMs <= asOf + 60_000 && (x.endMs === null || x.endMs >= asOf - 60_000),
    );
    if (w) out.push(`${" ".repeat(11)}${c("dim")}→ ${warningOutcome(w, nowMs, painter(false))}${c("reset")}`);
  }
  return out.join("\n");
}
