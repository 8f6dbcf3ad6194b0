/**
 * The exporter's configuration from environment variables (zod; every problem is reported with the
 * variable's name, all at once). Only `DATABASE_URL` is required, and it carries the credentials: the
 * exporter has none of its own. Kafka is optional (without `KAFKA_BROKERS` there is no connector lag).
 *
 * | variable                            | default             | meaning                                                              |
 * | ----------------------------------- | ------------------- | -------------------------------------------------------------------- |
 * | `DATABASE_URL`                      | (required)          | `postgres://user:password@host:port/database` (a read-only role will do) |
 * | `EXPORTER_PORT`                     | 9466                | port of `/metrics`, `/metrics/prometheus`, `/health` (0 = any free)   |
 * | `EXPORTER_HOST`                     | 127.0.0.1           | address they bind                                                    |
 * | `EXPORTER_RISK_FLOOR`               | 0.5                 | per-host series for hosts whose 30-min risk is at least this (0..1)   |
 * | `EXPORTER_TOP_N`                    | 50                  | … and for the N riskiest hosts whatever their risk                    |
 * | `EXPORTER_MAX_HOSTS`                | 1000                | hard cap on hosts with per-host series (riskiest first)               |
 * | `EXPORTER_SILENCE_SECONDS`          | 300                 | a host with no point for this long is silent                          |
 * | `EXPORTER_QUALITY_WINDOW_SECONDS`   | 86400               | warnings of this window are judged                                    |
 * | `EXPORTER_QUALITY_HORIZON_SECONDS`  | 1800                | a warning is followed when the downtime comes within this             |
 * | `EXPORTER_POOL_SIZE`                | 4                   | database connections (a scrape runs its queries in parallel)          |
 * | `EXPORTER_QUERY_TIMEOUT_MS`         | 5000                | `statement_timeout` of the exporter's connections                     |
 * | `EXPORTER_SHUTDOWN_TIMEOUT_MS`      | 10000               | how long shutdown waits for a scrape in flight                        |
 * | `KAFKA_BROKERS`                     | (none)              | comma-separated `host:port`; enables `downtime_connector_lag_records` |
 * | `EXPORTER_CONNECTOR_GROUPS`         | timescale-connector | consumer groups whose lag is exported (comma-separated)               |
 * | `EXPORTER_KAFKA_TIMEOUT_MS`         | 2000                | bound on reading the lag; a scrape never waits longer for Kafka       |
 */
import { z } from "zod";

export interface ExporterConfig {
  databaseUrl: string;
  port: number;
  host: string;
  /** Fraction 0..1 of 30-minute risk. */
  riskFloor: number;
  topN: number;
  maxHosts: number;
  silenceSeconds: number;
  qualityWindowSeconds: number;
  qualityHorizonSeconds: number;
  poolSize: number;
  queryTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Empty: no Kafka, no connector lag. */
  brokers: string[];
  connectorGroups: string[];
  kafkaTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEFAULT_EXPORTER_PORT = 9466;

export const DEFAULTS = {
  port: DEFAULT_EXPORTER_PORT,
  host: "127.0.0.1",
  riskFloor: 0.5,
  topN: 50,
  maxHosts: 1000,
  silenceSeconds: 300,
  qualityWindowSeconds: 86_400,
  qualityHorizonSeconds: 1800,
  poolSize: 4,
  queryTimeoutMs: 5000,
  shutdownTimeoutMs: 10_000,
  brokers: [] as string[],
  connectorGroups: ["timescale-connector"],
  kafkaTimeoutMs: 2000,
} satisfies Omit<ExporterConfig, "databaseUrl">;

const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);
const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`));
const fraction = z
  .string()
  .trim()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a fraction 0..1")
  .transform(Number);
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === "" ? undefined : v), t.optional());

const EnvSchema = z.object({
  DATABASE_URL: z
    .string({ error: "is required (postgres://user:password@host:port/database)" })
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// URL"),
  EXPORTER_PORT: optional(int(0, 65_535)),
  EXPORTER_HOST: optional(z.string().min(1)),
  EXPORTER_RISK_FLOOR: optional(fraction),
  EXPORTER_TOP_N: optional(int(0, 100_000)),
  EXPORTER_MAX_HOSTS: optional(int(0, 1_000_000)),
  EXPORTER_SILENCE_SECONDS: optional(int(1, 86_400 * 7)),
  EXPORTER_QUALITY_WINDOW_SECONDS: optional(int(60, 86_400 * 31)),
  EXPORTER_QUALITY_HORIZON_SECONDS: optional(int(60, 86_400)),
  EXPORTER_POOL_SIZE: optional(int(1, 64)),
  EXPORTER_QUERY_TIMEOUT_MS: optional(int(100, 600_000)),
  EXPORTER_SHUTDOWN_TIMEOUT_MS: optional(int(0, 600_000)),
  KAFKA_BROKERS: optional(
    list.pipe(
      z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, "must be host:port")).min(1, "must name a broker"),
    ),
  ),
  EXPORTER_CONNECTOR_GROUPS: optional(
    list.pipe(
      z
        .array(z.string().regex(/^[a-zA-Z0-9._-]{1,200}$/, "must be Kafka group ids"))
        .min(1, "must name a group"),
    ),
  ),
  EXPORTER_KAFKA_TIMEOUT_MS: optional(int(100, 60_000)),
});

/** @throws ConfigError listing every bad or missing variable by name. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ExporterConfig {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${String(i.path[0] ?? "(env)")}: ${i.message}`);
    throw new ConfigError(`exporter: bad environment\n${lines.join("\n")}`);
  }
  const e = r.data;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.EXPORTER_PORT ?? DEFAULTS.port,
    host: e.EXPORTER_HOST ?? DEFAULTS.host,
    riskFloor: e.EXPORTER_RISK_FLOOR ?? DEFAULTS.riskFloor,
    topN: e.EXPORTER_TOP_N ?? DEFAULTS.topN,
    maxHosts: e.EXPORTER_MAX_HOSTS ?? DEFAULTS.maxHosts,
    silenceSeconds: e.EXPORTER_SILENCE_SECONDS ?? DEFAULTS.silenceSeconds,
    qualityWindowSeconds: e.EXPORTER_QUALITY_WINDOW_SECONDS ?? DEFAULTS.qualityWindowSeconds,
    qualityHorizonSeconds: e.EXPORTER_QUALITY_HORIZON_SECONDS ?? DEFAULTS.qualityHorizonSeconds,
    poolSize: e.EXPORTER_POOL_SIZE ?? DEFAULTS.poolSize,
    queryTimeoutMs: e.EXPORTER_QUERY_TIMEOUT_MS ?? DEFAULTS.queryTimeoutMs,
    shutdownTimeoutMs: e.EXPORTER_SHUTDOWN_TIMEOUT_MS ?? DEFAULTS.shutdownTimeoutMs,
    brokers: e.KAFKA_BROKERS ?? DEFAULTS.brokers,
    connectorGroups: e.EXPORTER_CONNECTOR_GROUPS ?? DEFAULTS.connectorGroups,
    kafkaTimeoutMs: e.EXPORTER_KAFKA_TIMEOUT_MS ?? DEFAULTS.kafkaTimeoutMs,
  };
}
