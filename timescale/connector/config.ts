/**
 * The connector service's configuration from environment variables (zod; every problem is reported
 * with the variable's name, all at once). Nothing secret has a default: `DATABASE_URL` and
 * `KAFKA_BROKERS` are required.
 *
 * | variable                      | default               | meaning                                                  |
 * | ----------------------------- | --------------------- | -------------------------------------------------------- |
 * | `KAFKA_BROKERS`               | (required)            | bootstrap brokers, comma-separated `host:port`            |
 * | `DATABASE_URL`                | (required)            | `postgres://user:password@host:port/database`             |
 * | `CONNECTOR_PORT`              | 9465                  | port of `/health` and `/metrics` (0 = any free port)      |
 * | `CONNECTOR_HOST`              | 127.0.0.1             | address they bind                                        |
 * | `CONNECTOR_GROUP_ID`          | timescale-connector   | Kafka consumer group (instances in one group share work)  |
 * | `CONNECTOR_POOL_SIZE`         | 5                     | database connections                                     |
 * | `CONNECTOR_CONCURRENCY`       | 4                     | partition batches written at once                        |
 * | `CONNECTOR_MAX_BACKOFF_MS`    | 5000                  | longest wait between retries of a failed write           |
 * | `CONNECTOR_MIGRATE`           | true                  | apply pending migrations at start                        |
 */
import { z } from "zod";

export interface ServiceConfig {
  brokers: string[];
  databaseUrl: string;
  port: number;
  host: string;
  groupId: string;
  poolSize: number;
  concurrency: number;
  maxBackoffMs: number;
  migrate: boolean;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEFAULT_CONNECTOR_PORT = 9465;

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
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === "" ? undefined : v), t.optional());

const EnvSchema = z.object({
  KAFKA_BROKERS: z
    .string({ error: "is required (comma-separated host:port)" })
    .pipe(list)
    .pipe(
      z
        .array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, "must be host:port"))
        .min(1, "must name at least one broker"),
    ),
  DATABASE_URL: z
    .string({ error: "is required (postgres://user:password@host:port/database)" })
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// URL"),
  CONNECTOR_PORT: optional(int(0, 65_535)),
  CONNECTOR_HOST: optional(z.string().min(1)),
  CONNECTOR_GROUP_ID: optional(z.string().regex(/^[a-zA-Z0-9._-]{1,200}$/, "must be a Kafka group id")),
  CONNECTOR_POOL_SIZE: optional(int(1, 100)),
  CONNECTOR_CONCURRENCY: optional(int(1, 64)),
  CONNECTOR_MAX_BACKOFF_MS: optional(int(100, 600_000)),
  CONNECTOR_MIGRATE: optional(
    z.enum(["true", "false"], { error: "must be true or false" }).transform((v) => v === "true"),
  ),
});

/** @throws ConfigError listing every bad or missing variable by name. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${String(i.path[0] ?? "(env)")}: ${i.message}`);
    throw new ConfigError(`connector: bad environment\n${lines.join("\n")}`);
  }
  const e = r.data;
  return {
    brokers: e.KAFKA_BROKERS,
    databaseUrl: e.DATABASE_URL,
    port: e.CONNECTOR_PORT ?? DEFAULT_CONNECTOR_PORT,
    host: e.CONNECTOR_HOST ?? "127.0.0.1",
    groupId: e.CONNECTOR_GROUP_ID ?? "timescale-connector",
    poolSize: e.CONNECTOR_POOL_SIZE ?? 5,
    concurrency: e.CONNECTOR_CONCURRENCY ?? 4,
    maxBackoffMs: e.CONNECTOR_MAX_BACKOFF_MS ?? 5000,
    migrate: e.CONNECTOR_MIGRATE ?? true,
  };
}
