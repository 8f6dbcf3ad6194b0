/**
 * Query builders for the dashboards' panels: PromQL through the SDK's Prometheus builder, SQL through
 * {@link SqlQueryBuilder} — the SDK 0.0.21 has no PostgreSQL data query, so this writes the target the
 * way Grafana's SQL query editor saves it in code mode.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PROMETHEUS, TIMESCALE } from "./datasources.ts";

/** A PostgreSQL target as Grafana stores it: `rawSql` in code mode, result as a table or time series. */
export interface SqlDataquery extends cog.Dataquery {
  refId: string;
  datasource: typeof TIMESCALE;
  editorMode: "code";
  rawQuery: true;
  format: "table" | "time_series";
  rawSql: string;
}

export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: SqlDataquery;

  constructor(rawSql: string) {
    this.internal = {
      refId: "A",
      datasource: TIMESCALE,
      editorMode: "code",
      rawQuery: true,
      format: "table",
      rawSql: rawSql.trim(),
      _implementsDataqueryVariant: () => undefined,
    };
  }

  build(): SqlDataquery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  /** A time series: the query must return a `time` column, ordered by it. */
  timeSeries(): this {
    this.internal.format = "time_series";
    return this;
  }
}

/** SQL in code mode; `format` table unless `.timeSeries()`. */
export const sql = (rawSql: string): SqlQueryBuilder => new SqlQueryBuilder(rawSql);

/** A PromQL range query (for time series panels) with a legend. */
export const promRange = (expr: string, legend = "", refId = "A"): DataqueryBuilder =>
  new DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(refId)
    .expr(expr)
    .range()
    .legendFormat(legend || "__auto");

/** A PromQL instant query (stats, tables): the value now. */
export const promInstant = (expr: string, legend = "", refId = "A"): DataqueryBuilder =>
  new DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(refId)
    .expr(expr)
    .instant()
    .legendFormat(legend || "__auto");

/** A PromQL instant query as a table (one row per series, one column per label). */
export const promTable = (expr: string, refId = "A"): DataqueryBuilder =>
  promInstant(expr, "", refId).format(PromQueryFormat.Table);
