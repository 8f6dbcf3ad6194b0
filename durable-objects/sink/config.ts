/**
 * Which sink the DOs use, from the Worker's env: all three `UPSTASH_KAFKA_REST_*` variables → the
 * gateway sink; none → the embedded default (events stay in DO storage). Anything in between is a
 * configuration mistake and fails loudly, naming the variable, rather than silently keeping events
 * local. Empty or blank values count as unset (templates often ship `VAR=""`).
 *
 * Pure (zod only). Error messages never echo values: the password must not end up in logs.
 */
import { z } from "zod";

export const SINK_ENV = {
  url: "UPSTASH_KAFKA_REST_URL",
  username: "UPSTASH_KAFKA_REST_USERNAME",
  password: "UPSTASH_KAFKA_REST_PASSWORD",
} as const;

/**
 * Gateway base URL: http(s), no credentials, query or fragment (the client appends `/produce` to it
 * verbatim); trailing slashes removed. A path prefix (`https://gw.example/kafka`) is fine.
 */
export const GatewayUrlSchema = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a URL" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `must be http(s), got ${url.protocol}` });
    }
    if (url.username !== "" || url.password !== "") {
      ctx.addIssue({
        code: "custom",
        message: "must not contain credentials (use the USERNAME/PASSWORD variables)",
      });
    }
    if (url.search !== "" || url.hash !== "") {
      ctx.addIssue({ code: "custom", message: "must not have a query or fragment" });
    }
  })
  .transform((value) => value.replace(/\/+$/, ""));

// @upstash/kafka base64-encodes `user:pass` with a hand-written encoder that only handles code points
// < 256 (no UTF-8), so anything outside printable ASCII would reach the gateway garbled; refuse it here.
export const GatewayUsernameSchema = z
  .string()
  .regex(/^[\x20-\x39\x3b-\x7e]+$/, "must be non-empty printable ASCII without ':' (HTTP Basic auth)");
export const GatewayPasswordSchema = z
  .string()
  .regex(/^[\x20-\x7e]+$/, "must be non-empty printable ASCII (HTTP Basic auth)");

export type SinkConfig =
  | { kind: "embedded" }
  | { kind: "upstash"; /** Base URL, no trailing slash. */ url: string; username: string; password: string };

export class SinkConfigError extends Error {
  readonly code = "bad_sink_config";
  readonly retryable = false;
  constructor(
    /** One entry per problem: the offending env variable and why. */
    readonly issues: { variable: string; message: string }[],
  ) {
    super(`invalid sink configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`);
    this.name = "SinkConfigError";
  }
}

/** Unset, empty and blank all mean "not configured". */
const optionalVar = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

const EnvSchema = z.object({
  [SINK_ENV.url]: optionalVar,
  [SINK_ENV.username]: optionalVar,
  [SINK_ENV.password]: optionalVar,
});

/**
 * @param env the Worker's `env` (other bindings are ignored).
 * @throws SinkConfigError naming each missing or malformed variable.
 * @example
 * const config = parseSinkConfig(env);
 * const sink = config.kind === "embedded" ? embeddedSink : createUpstashSink(config);
 */
export function parseSinkConfig(env: Readonly<Record<string, unknown>>): SinkConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new SinkConfigError(issuesOf(parsed.error));
  const vars = parsed.data;
  const names = [SINK_ENV.url, SINK_ENV.username, SINK_ENV.password] as const;
  const missing = names.filter((name) => vars[name] === undefined);
  if (missing.length === names.length) return { kind: "embedded" };
  if (missing.length > 0) {
    const set = names.filter((name) => !missing.includes(name));
    throw new SinkConfigError(
      missing.map((variable) => ({
        variable,
        message: `is missing (${set.join(", ")} ${set.length > 1 ? "are" : "is"} set; set all three for the gateway sink, or none for the embedded one)`,
      })),
    );
  }

  const fields = z
    .object({
      [SINK_ENV.url]: GatewayUrlSchema,
      [SINK_ENV.username]: GatewayUsernameSchema,
      [SINK_ENV.password]: GatewayPasswordSchema,
    })
    .safeParse(vars);
  if (!fields.success) throw new SinkConfigError(issuesOf(fields.error));
  return {
    kind: "upstash",
    url: fields.data[SINK_ENV.url],
    username: fields.data[SINK_ENV.username],
    password: fields.data[SINK_ENV.password],
  };
}

function issuesOf(error: z.ZodError): { variable: string; message: string }[] {
  // zod's default messages for a wrong type mention the received value's type, never the value.
  return error.issues.map((i) => ({ variable: i.path.map(String).join(".") || "(env)", message: i.message }));
}
