/**
 * Shared pieces of the dashboards: panel constructors with the project's defaults (legend shown as a
 * table, data source set), thresholds and value mappings for levels and risk, and the variables.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  BigValueColorMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import {
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type ValueMapping,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { LEVEL_VALUE } from "../../contracts/exporter.ts";
import { TIMESCALE } from "./datasources.ts";

type Target = cog.Builder<cog.Dataquery>;

/** A time series panel, `w`×`h` grid units, legend as a table with the last and max values. */
export function timeseries(title: string, description: string, targets: Target[], w = 12, h = 8) {
  const p = new TimeseriesPanel()
    .title(title)
    .description(description)
    .span(w)
    .height(h)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .calcs(["lastNotNull", "max"]),
    );
  for (const t of targets) p.withTarget(t);
  return p;
}

/** A single number (the last value of each series), with a sparkline when `sparkline`. */
export function stat(title: string, description: string, targets: Target[], w = 6, h = 4, sparkline = false) {
  const p = new StatPanel()
    .title(title)
    .description(description)
    .span(w)
    .height(h)
    .graphMode(sparkline ? BigValueGraphMode.Area : BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
  for (const t of targets) p.withTarget(t);
  return p;
}

/** A table of the query's rows. */
export function table(title: string, description: string, targets: Target[], w = 12, h = 8) {
  const p = new TablePanel().title(title).description(description).span(w).height(h);
  for (const t of targets) p.withTarget(t);
  return p;
}

/** Green below `warn`, orange from `warn`, red from `crit` (absolute values). */
export function thresholds(warn: number, crit: number) {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: "green" },
    { value: warn, color: "orange" },
    { value: crit, color: "red" },
  ]);
}

/** Risk (0..1) colours: the exporter's risk floor (0.5) orange, 0.8 red. */
export const riskThresholds = () => thresholds(0.5, 0.8);

/** `downtime_level` / `level_max` numbers shown as their names and colours. */
export const levelMappings: ValueMapping[] = [
  {
    type: MappingType.ValueToText,
    options: {
      [String(LEVEL_VALUE.ok)]: { text: "ok", color: "green", index: 0 },
      [String(LEVEL_VALUE.warning)]: { text: "warning", color: "orange", index: 1 },
      [String(LEVEL_VALUE.critical)]: { text: "critical", color: "red", index: 2 },
    },
  },
  {
    type: MappingType.ValueToText,
    options: {
      ok: { color: "green", index: 3 },
      warning: { color: "orange", index: 4 },
      critical: { color: "red", index: 5 },
    },
  },
];

/**
 * `$tenant`: the tenants in `host_latest` (every tenant with a host, not only those the exporter's
 * guard keeps). Single-valued, so Grafana substitutes it escaped but unquoted (`'$tenant'` in SQL).
 */
export const tenantVariable = () =>
  new QueryVariableBuilder("tenant")
    .label("Tenant")
    .datasource(TIMESCALE)
    .query("SELECT DISTINCT tenant FROM host_latest ORDER BY 1")
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(false)
    .includeAll(false);

/** `$host`: the tenant's hosts, riskiest first (from `host_latest`, so silent hosts are listed too). */
export const hostVariable = () =>
  new QueryVariableBuilder("host")
    .label("Host")
    .datasource(TIMESCALE)
    .query(
      "SELECT host FROM host_latest WHERE tenant = '$tenant' ORDER BY risk_30m DESC NULLS LAST, host LIMIT 1000",
    )
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.Disabled)
    .multi(false)
    .includeAll(false);
