/**
 * The terminal view, pure: one frame of hosts ranked by the edge (GET /hosts: severity, then 30-min
 * risk) with their risk per horizon, predicted downtime, top contributors (GET /hosts/:host/prediction
 * for the top few), simulated downtimes, and the latest events. Colour and width are parameters, so a
 * frame renders the same on a TTY, in a log file and in a test.
 */
import type { Downtime } from "../simulator/fleet.ts";
import type { HostsListing, Level, ListedHost, Prediction } from "./api.ts";
import type { PhaseName } from "./plan.ts";
import type { DemoEvent } from "./tracker.ts";

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
  events: readonly DemoEvent[];
  pointsSent: number;
  footer: readonly string[];
}

export interface RenderOptions {
  colour: boolean;
  /** Terminal width (lines are cut to it), or null for no limit. */
  columns: number | null;
  /** Most host rows shown. */
  maxRows: number;
  /** Most recent events shown. */
  maxEvents: number;
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

export const HORIZONS = ["5m", "15m", "30m"] as const;

export const pct = (p: number | undefined): string => (p === undefined ? "–" : `${Math.round(p * 100)}%`);

/** "HH:MM" (UTC) of an epoch ms. */
export const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

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

/** Width of the outlook column (fits "DOWN (network_degradation, simulated)"). */
const OUTLOOK_WIDTH = 38;

/**
 * "down within N min", else the nearest metric breach. From the host's own prediction when the view
 * fetched it; otherwise from the index entry, but only for hosts at warning or critical: an ok host's
 * entry is refreshed only when its risk moves, so its time to breach may be stale.
 */
function outlook(h: ListedHost, detail: Prediction | undefined): string {
  const downtimeWithinMinutes = detail ? detail.downtime_within_minutes : h.downtime_within_minutes;
  if (downtimeWithinMinutes !== null) return `down within ${downtimeWithinMinutes} min`;
  const timeToBreachS = h.level === "ok" ? null : h.time_to_breach_s;
  const ttb = detail
    ? Object.entries(detail.time_to_breach).sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0))[0]
    : undefined;
  if (ttb && ttb[1] !== undefined)
    return ttb[1] <= 0 ? `${ttb[0]} at breach level` : `${ttb[0]} breach in ${duration(ttb[1])}`;
  if (timeToBreachS !== null)
    return timeToBreachS <= 0 ? "at breach level" : `breach in ${duration(timeToBreachS)}`;
  return "";
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

export function eventLine(e: DemoEvent, colour: boolean): string {
  const c = (k: keyof typeof ANSI) => (colour ? ANSI[k] : "");
  const lvl = (l: Level | "unknown") => (l === "unknown" ? l : `${c(l)}${l}${c("reset")}`);
  if (e.kind === "level") {
    const driver = e.driver ? `, driven by ${e.driver}` : "";
    return `${clock(e.atMs)} ${e.host} ${lvl(e.from)} → ${lvl(e.to)} (p(30m) ${pct(e.risk30m)}${driver})`;
  }
  const flagged =
    e.warnedMinutes === null
      ? `not flagged beforehand (level ${e.levelAtDown})`
      : `flagged ${e.warnedMinutes} min before (level ${e.levelAtDown})`;
  return `${clock(e.atMs)} ${e.host} ${c("down")}DOWN${c("reset")} (${e.family}, simulated) — ${flagged}`;
}

export function renderFrame(s: ViewState, o: RenderOptions): string {
  const c = (k: keyof typeof ANSI) => (o.colour ? ANSI[k] : "");
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
    `${c("dim")}${total} hosts · ${counts.critical} critical · ${counts.warning} warning · ranked by GET /hosts (severity, then 30-min risk)${s.listingError ? ` · listing failed: ${s.listingError}` : ""}${c("reset")}`,
  );
  out.push(
    `${"host".padEnd(10)} ${"level".padEnd(9)} ${HORIZONS.map((h) => `p(${h})`.padStart(7)).join("")}  ${"outlook".padEnd(OUTLOOK_WIDTH)} drivers`,
  );
  const hosts = s.listing?.hosts ?? [];
  for (const h of hosts.slice(0, o.maxRows)) {
    const d = s.down.get(h.host);
    const detail = s.details.get(h.host);
    const level = `${c(h.level)}${h.level.padEnd(9)}${c("reset")}`;
    const risks = HORIZONS.map((k) => pct(h.risks[k]).padStart(7)).join("");
    const look = padVisible(
      d
        ? `${c("down")}DOWN${c("reset")} ${c("dim")}(${d.family}, simulated)${c("reset")}`
        : outlook(h, detail),
      OUTLOOK_WIDTH,
    );
    out.push(`${h.host.padEnd(10)} ${level} ${risks}  ${look} ${drivers(detail)}`.trimEnd());
  }
  if (hosts.length > o.maxRows) out.push(`${c("dim")}… ${hosts.length - o.maxRows} more${c("reset")}`);
  if (s.listing === null) out.push(`${c("dim")}(no listing yet)${c("reset")}`);
  if (o.maxEvents > 0) {
    out.push(
      "",
      `${c("dim")}events (level changes from POST /metrics responses; DOWN = simulator ground truth)${c("reset")}`,
    );
    const recent = s.events.slice(-o.maxEvents);
    if (recent.length === 0) out.push(`${c("dim")}(none yet)${c("reset")}`);
    for (const e of recent) out.push(eventLine(e, o.colour));
  }
  if (s.footer.length > 0) out.push("", ...s.footer.map((l) => `${c("dim")}${l}${c("reset")}`));
  return out.map((l) => fit(l, o.columns)).join("\n");
}
