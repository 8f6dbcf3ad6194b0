import { parseSinkConfig } from "./sink/config.ts";
import { embeddedSink } from "./sink/embedded.ts";
import type { EventSink } from "./sink/types.ts";
import { createUpstashSink } from "./sink/upstash.ts";

/** The sink the env configures (embedded when no UPSTASH_KAFKA_REST_* is set); throws SinkConfigError. */
export function sinkFromEnv(env: object): EventSink {
  const c = parseSinkConfig(env as Readonly<Record<string, unknown>>);
  return c.kind === "embedded" ? embeddedSink : createUpstashSink(c);
}
