/**
 * The queries of generated dashboards, and Grafana's substitutions done the way Grafana does them, so
 * the tests can run each panel's query without Grafana. Pure (no I/O).
 *
 * Substitutions (grafana/README.md lists them too):
 * - template variables `$name` / `${name}`: single-valued, no "All" — Grafana then writes the value
 *   escaped but unquoted: in SQL `'` doubled (the dashboards write `'$host'`), in PromQL `\` and `'`
 *   backslash-escaped (the dashboards write `"$host"`);
 * - `$__timeFilter(col)` → `col BETWEEN '<from>' AND '<to>'` (ISO-8601 UTC, as Grafana's PostgreSQL
 *   macro engine writes it), `$__timeFrom()` / `$__timeTo()` → `'<from>'` / `'<to>'`;
 * - `$__rate_interval`, `$__interval`, `$__range` → the durations the caller gives (Grafana computes
 *   them from the panel width, the time range and the data source's scrape interval).
 * Anything else starting with `$` is left in place, so a test finds it (an undefined variable).
 */
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { z } from "zod";

export interface PanelQuery {
  dashboard: string;
  /** Panel title, `variable $name` or `annotation <name>`. */
  where: string;
  refId: string;
  kind: "promql" | "sql";
  text: string;
  /** PromQL: an instant query (stats, tables) rather than a range. */
  instant: boolean;
  /** SQL: Grafana's `time_series` format needs a `time` column. */
  timeSeries: boolean;
}

const Ref = z.object({ type: z.string(), uid: z.string() });
const Target = z.object({
  refId: z.string().optional(),
  datasource: Ref.optional(),
  expr: z.string().optional(),
  instant: z.boolean().optional(),
  rawSql: z.string().optional(),
  format: z.string().optional(),
});
const Panel = z.object({
  title: z.string().optional(),
  datasource: Ref.optional(),
  targets: z.array(Target).optional(),
  panels: z.array(z.lazy((): z.ZodType<unknown> => Panel)).optional(),
});
const DashboardShape = z.object({
  title: z.string(),
  panels: z.array(Panel).default([]),
  templating: z
    .object({
      list: z
        .array(z.object({ name: z.string(), datasource: Ref.optional(), query: z.unknown().optional() }))
        .default([]),
    })
    .default({ list: [] }),
  annotations: z
    .object({
      list: z
        .array(z.object({ name: z.string(), datasource: Ref.optional(), target: Target.optional() }))
        .default([]),
    })
    .default({ list: [] }),
});

function fromTarget(
  dashboard: string,
  where: string,
  t: z.infer<typeof Target>,
  fallback: z.infer<typeof Ref> | undefined,
): PanelQuery {
  const ds = t.datasource ?? fallback;
  const refId = t.refId ?? "?";
  if (ds?.type === "prometheus" && t.expr !== undefined)
    return {
      dashboard,
      where,
      refId,
      kind: "promql",
      text: t.expr,
      instant: t.instant === true,
      timeSeries: false,
    };
  if (ds?.type === "grafana-postgresql-datasource" && t.rawSql !== undefined)
    return {
      dashboard,
      where,
      refId,
      kind: "sql",
      text: t.rawSql,
      instant: false,
      timeSeries: t.format === "time_series",
    };
  throw new Error(`${dashboard} / ${where} / ${refId}: neither a Prometheus expr nor a PostgreSQL rawSql`);
}

/** Every query a dashboard runs: panels' targets, query variables and annotations, in order. */
export function dashboardQueries(d: Dashboard): PanelQuery[] {
  const dash = DashboardShape.parse(JSON.parse(JSON.stringify(d)));
  const out: PanelQuery[] = [];
  for (const v of dash.templating.list) {
    if (typeof v.query !== "string") continue;
    out.push(
      fromTarget(
        dash.title,
        `variable $${v.name}`,
        { refId: v.name, ...sqlOrProm(v.query, v.datasource) },
        v.datasource,
      ),
    );
  }
  for (const a of dash.annotations.list) {
    if (a.target) out.push(fromTarget(dash.title, `annotation ${a.name}`, a.target, a.datasource));
  }
  const walk = (panels: unknown[]): void => {
    for (const raw of panels) {
      const p = Panel.parse(raw);
      for (const t of p.targets ?? [])
        out.push(fromTarget(dash.title, p.title ?? "(untitled)", t, p.datasource));
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  return out;
}

function sqlOrProm(query: string, ds: z.infer<typeof Ref> | undefined): z.infer<typeof Target> {
  return ds?.type === "prometheus" ? { expr: query, instant: true } : { rawSql: query, format: "table" };
}

export interface Substitutions {
  /** Template variables by name (without `$`). */
  vars: Record<string, string>;
  from: Date;
  to: Date;
  /** Durations such as "15s". */
  rateInterval: string;
  interval: string;
}

const grafanaTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** `text` with Grafana's macros and variables replaced for `kind` (see the module comment). */
export function interpolate(text: string, kind: PanelQuery["kind"], s: Substitutions): string {
  const escape =
    kind === "sql"
      ? (v: string) => v.replaceAll("'", "''")
      : (v: string) => v.replaceAll("\\", "\\\\").replaceAll("'", "\\\\'");
  const range = `${Math.max(1, Math.round((s.to.getTime() - s.from.getTime()) / 1000))}s`;
  const builtins: Record<string, string> = {
    __rate_interval: s.rateInterval,
    __interval: s.interval,
    __range: range,
  };
  return text
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, col: string) => `${col.trim()} BETWEEN '${grafanaTime(s.from)}' AND '${grafanaTime(s.to)}'`,
    )
    .replace(/\$__timeFrom\(\)/g, `'${grafanaTime(s.from)}'`)
    .replace(/\$__timeTo\(\)/g, `'${grafanaTime(s.to)}'`)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      if (name in builtins) return builtins[name] ?? whole;
      const v = s.vars[name];
      return v === undefined ? whole : escape(v);
    });
}

/** Grafana macros or variables left in an interpolated query (`[]` when none). */
export const leftovers = (text: string): string[] => [...text.matchAll(/\$\{?\w+/g)].map((m) => m[0]);
