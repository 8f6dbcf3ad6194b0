/**
 * The gateway's configuration: {@link GatewayConfig} for `startGateway`, and {@link configFromEnv}
 * which reads it from environment variables (zod; every problem is reported with the variable's name,
 * all at once). Credentials have no default: without them the gateway refuses to start.
 */
import { z } from "zod";
import { ALL_TOPICS } from "../contracts/events.ts";
import { KAFKA_CLIENTS } from "./kafka/types.ts";

const MiB = 1024 * 1024;

/** Printable ASCII; the username without ':' (HTTP Basic auth splits at the first colon). */
const Username = z
  .string()
  .regex(/^[\x20-\x39\x3b-\x7e]+$/, "must be non-empty printable ASCII without ':' (HTTP Basic auth)");
const Password = z.string().regex(/^[\x20-\x7e]+$/, "must be non-empty printable ASCII (HTTP Basic auth)");
const Broker = z.string().regex(/^[^\s:,]+:\d{1,5}$/, "must be host:port");
const Topic = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, "must be a Kafka topic name");

export const GatewayConfigSchema = z.object({
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(Broker).min(1),
  username: Username,
  password: Password,
  /** 0 = any free port (read the bound one from `startGateway`'s `url`). */
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  /** Topics clients may produce to and see in GET /topics. */
  topics: z
    .array(Topic)
    .min(1)
    .default([...ALL_TOPICS]),
  /** Cap on a request body, bytes (413 beyond). */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(4 * MiB),
  /**
   * Cap on one record's value + key + headers, bytes (413 beyond). The default stays under the
   * broker's default `message.max.bytes` (1 MiB + 12 B for a whole batch, its overhead included).
   */
  maxRecordBytes: z.number().int().positive().default(1_000_000),
  /** Measured faster on the produce path (gateway/README.md). */
  kafkaClient: z.enum(KAFKA_CLIENTS).default("platformatic"),
  /** Bound on one broker request, ms; a produce is bounded by about twice this. */
  requestTimeoutMs: z.number().int().positive().default(5000),
  /** Bound on the metadata request behind GET /health, ms. */
  healthTimeoutMs: z.number().int().positive().default(2000),
  /** How long shutdown waits for in-flight requests, ms, before it cuts connections. */
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
  /** Whether GET /metrics needs the same Basic credentials (default: public, like /health). */
  metricsAuth: z.boolean().default(false),
  clientId: z.string().min(1).default("edge-gateway"),
  /** Where start-up and error lines go (default: stderr). */
  log: z.custom<(line: string) => void>((v) => typeof v === "function").optional(),
});

export type GatewayConfig = z.input<typeof GatewayConfigSchema>;
export type ResolvedGatewayConfig = z.output<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Environment variable → config field. */
export const GATEWAY_ENV = {
  KAFKA_BROKERS: "brokers",
  GATEWAY_USERNAME: "username",
  GATEWAY_PASSWORD: "password",
  GATEWAY_PORT: "port",
  GATEWAY_HOST: "host",
  GATEWAY_TOPICS: "topics",
  GATEWAY_MAX_BODY_BYTES: "maxBodyBytes",
  GATEWAY_MAX_RECORD_BYTES: "maxRecordBytes",
  GATEWAY_KAFKA_CLIENT: "kafkaClient",
  GATEWAY_REQUEST_TIMEOUT_MS: "requestTimeoutMs",
  GATEWAY_SHUTDOWN_TIMEOUT_MS: "shutdownTimeoutMs",
  GATEWAY_METRICS_AUTH: "metricsAuth",
} as const satisfies Record<string, keyof ResolvedGatewayConfig>;

const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);
const int = z.string().trim().regex(/^\d+$/, "must be a whole number").transform(Number);
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === "" ? undefined : v), t.optional());

const EnvSchema = z.object({
  KAFKA_BROKERS: z
    .string({ error: "is required (comma-separated host:port)" })
    .pipe(list)
    .pipe(z.array(Broker).min(1, "must name at least one broker")),
  GATEWAY_USERNAME: z.string({ error: "is required: the gateway has no default credentials" }).pipe(Username),
  GATEWAY_PASSWORD: z.string({ error: "is required: the gateway has no default credentials" }).pipe(Password),
  GATEWAY_PORT: optional(int.pipe(z.number().max(65_535, "must be 0..65535"))),
  GATEWAY_HOST: optional(z.string()),
  GATEWAY_TOPICS: optional(list.pipe(z.array(Topic).min(1, "must name at least one topic"))),
  GATEWAY_MAX_BODY_BYTES: optional(int.pipe(z.number().positive("must be > 0"))),
  GATEWAY_MAX_RECORD_BYTES: optional(int.pipe(z.number().positive("must be > 0"))),
  GATEWAY_KAFKA_CLIENT: optional(
    z.enum(KAFKA_CLIENTS, { error: `must be one of ${KAFKA_CLIENTS.join(", ")}` }),
  ),
  GATEWAY_REQUEST_TIMEOUT_MS: optional(int.pipe(z.number().positive("must be > 0"))),
  GATEWAY_SHUTDOWN_TIMEOUT_MS: optional(int.pipe(z.number().positive("must be > 0"))),
  GATEWAY_METRICS_AUTH: optional(
    z.enum(["true", "false"], { error: "must be true or false" }).transform((v) => v === "true"),
  ),
});

/**
 * Reads the gateway's configuration from `env`.
 * @throws ConfigError listing every bad or missing variable by name.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ResolvedGatewayConfig {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${String(i.path[0] ?? "(env)")}: ${i.message}`);
    throw new ConfigError(`gateway: bad environment\n${lines.join("\n")}`);
  }
  const config: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(GATEWAY_ENV)) {
    const value = r.data[name as keyof typeof GATEWAY_ENV];
    if (value !== undefined) config[field] = value;
  }
  return resolveConfig(config as GatewayConfig);
}

/** Applies defaults and checks a programmatic config. @throws ConfigError naming the field. */
export function resolveConfig(config: GatewayConfig): ResolvedGatewayConfig {
  const r = GatewayConfigSchema.safeParse(config);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new ConfigError(`gateway: bad configuration\n${lines.join("\n")}`);
  }
  if (r.data.maxRecordBytes > r.data.maxBodyBytes)
    throw new ConfigError("gateway: bad configuration\n  maxRecordBytes: must not exceed maxBodyBytes");
  return r.data;
}
