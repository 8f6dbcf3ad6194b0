/**
 * The exporter's Prometheus registry: one prom-client gauge per entry of `contracts/exporter.ts`
 * (names, help, labels taken from there, so the exposition cannot drift from the catalogue), and
 * {@link applySnapshot} which replaces every value with what one scrape read. Gauges are reset on
 * each scrape: a host that left the guard's selection, or a tenant that is gone, disappears at once.
 */
import { Gauge, Registry } from "prom-client";
import {
  EXPORTED_HORIZONS,
  EXPORTER_METRICS,
  LEVEL_VALUE,
  type ExportedMetricKey,
} from "../contracts/exporter.ts";
import { OUTCOMES, summarise } from "./quality.ts";
import type { Snapshot } from "./queries.ts";

export interface ExporterMetrics {
  registry: Registry;
  gauges: Record<ExportedMetricKey, Gauge>;
}

export function createMetrics(): ExporterMetrics {
  const registry = new Registry();
  const gauges = Object.fromEntries(
    Object.entries(EXPORTER_METRICS).map(([key, m]) => [
      key,
      new Gauge({ name: m.name, help: m.help, labelNames: [...m.labels], registers: [registry] }),
    ]),
  ) as Record<ExportedMetricKey, Gauge>;
  return { registry, gauges };
}

/** Gauges that come from the database (cleared when it cannot be read). */
const DATABASE_KEYS: readonly ExportedMetricKey[] = [
  "risk",
  "level",
  "timeToBreach",
  "silence",
  "hosts",
  "silentHosts",
  "ingestRate",
  "predictionRate",
  "freshness",
  "modelInfo",
  "warnings",
  "warningLead",
  "hostsOmitted",
];

export function clearDatabaseGauges(m: ExporterMetrics): void {
  for (const k of DATABASE_KEYS) m.gauges[k].reset();
}

export function applySnapshot(m: ExporterMetrics, s: Snapshot): void {
  clearDatabaseGauges(m);
  const g = m.gauges;
  const shown = new Map<string, number>();
  for (const h of s.hosts) {
    shown.set(h.tenant, (shown.get(h.tenant) ?? 0) + 1);
    const base = { tenant: h.tenant, host: h.host };
    for (const horizon of EXPORTED_HORIZONS) {
      const r = h.risk[horizon];
      if (r !== null) g.risk.set({ ...base, horizon }, r);
    }
    if (h.level !== null) g.level.set(base, LEVEL_VALUE[h.level]);
    for (const [metric, seconds] of Object.entries(h.timeToBreach))
      g.timeToBreach.set({ ...base, metric }, seconds);
    if (h.pointMs !== null) g.silence.set(base, Math.max(0, (s.nowMs - h.pointMs) / 1000));
  }
  for (const t of s.tenants) {
    for (const level of ["ok", "warning", "critical"] as const) {
      g.hosts.set({ tenant: t.tenant, level }, t.byLevel[level]);
    }
    g.silentHosts.set({ tenant: t.tenant }, t.silent);
    g.ingestRate.set({ tenant: t.tenant }, t.pointsPerSecond);
    g.predictionRate.set({ tenant: t.tenant }, t.predictionsPerSecond);
    g.hostsOmitted.set({ tenant: t.tenant }, t.hosts - (shown.get(t.tenant) ?? 0));
  }
  for (const [q, v] of s.freshness) g.freshness.set({ quantile: String(q) }, v);
  for (const version of s.modelVersions) g.modelInfo.set({ version }, 1);
  for (const [tenant, q] of summarise(s.judged)) {
    for (const outcome of OUTCOMES) g.warnings.set({ tenant, outcome }, q.counts[outcome]);
    for (const [p, v] of q.lead) g.warningLead.set({ tenant, quantile: String(p) }, v);
  }
}
