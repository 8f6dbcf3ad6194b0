/**
 * Pure formatting for the status page (no DOM): numbers, durations, levels. Unit-tested in Node
 * (scripts/status-page/format.test.ts).
 */
import { METRIC_RANGES, type MetricName } from "../../contracts/metrics.ts";
import type { Level } from "../../contracts/prediction.ts";

/** A host whose newest point is older than this is flagged silent (it may be down), seconds. */
export const SILENT_AFTER_S = 180;

export const METRIC_LABELS: Record<MetricName, string> = {
  cpu_usage: "CPU",
  memory_usage: "Memory",
  network_latency: "Latency",
  error_rate: "Errors",
};

/** Unit shown on charts and values: error rate (a fraction 0..1) is shown in percent. */
export function metricUnit(m: MetricName): string {
  return METRIC_RANGES[m].unit === "ms" ? "ms" : "%";
}

/** A raw metric value in display units (error rate fraction → percent). */
export function displayValue(m: MetricName, raw: number): number {
  return METRIC_RANGES[m].unit === "fraction" ? raw * 100 : raw;
}

/** "72.4 %", "118 ms", "3.25 %" (error rate), "—" for null. */
export function formatMetric(m: MetricName, raw: number | null | undefined): string {
  if (raw === null || raw === undefined || !Number.isFinite(raw)) return "—";
  const v = displayValue(m, raw);
  if (metricUnit(m) === "ms") return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`;
  return `${v < 10 && METRIC_RANGES[m].unit === "fraction" ? v.toFixed(2) : v.toFixed(1)} %`;
}

/** A probability 0..1 as a percentage: "94 %", "4.7 %", "0.3 %". */
export function formatRisk(p: number): string {
  const v = p * 100;
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} %`;
}

/** Seconds as a short duration: "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `downtime_within_minutes` as text: "≤ 15 min", or "—" when no horizon reaches 0.5. */
export function formatDowntime(minutes: number | null): string {
  return minutes === null ? "—" : `≤ ${minutes} min`;
}

/** Whether a listed host counts as silent (see SILENT_AFTER_S). */
export function isSilent(silentS: number): boolean {
  return silentS > SILENT_AFTER_S;
}

/** Horizon keys ("5m", "15m", "30m") in increasing order of minutes. */
export function sortHorizons(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => horizonMinutes(a) - horizonMinutes(b));
}

/** "15m" → 15; unparsable keys sort last. */
export function horizonMinutes(key: string): number {
  const m = /^(\d+)m$/.exec(key);
  return m?.[1] ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

/** "15m" → "15 min". */
export function horizonLabel(key: string): string {
  const n = horizonMinutes(key);
  return Number.isFinite(n) ? `${n} min` : key;
}

export const LEVEL_TEXT: Record<Level, string> = { ok: "OK", warning: "Warning", critical: "Critical" };

/** "14:03:12" in the viewer's time zone. */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
