/**
 * The connector as a process: `npx tsx timescale/connector/main.ts`, configured by environment
 * variables (`config.ts`). Prints `connector serving http://HOST:PORT/health` at once and
 * `connector running` once it consumes; waits for the database and Kafka while they are not up yet.
 * SIGTERM/SIGINT: stop after the batch in hand (exit 0; 1 if the shutdown failed). A bad or missing
 * variable is reported by name and the process exits 2 without starting.
 */
import { pathToFileURL } from "node:url";
import { ConfigError, configFromEnv, type ServiceConfig } from "./config.ts";
import { startConnectorService } from "./service.ts";

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ServiceConfig;
  try {
    config = configFromEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const service = await startConnectorService(config);
  process.stdout.write(
    `connector serving ${service.url}/health and /metrics (Kafka ${config.brokers.join(",")}, group ${config.groupId})\n`,
  );
  service.ready.then(
    () => process.stdout.write("connector running\n"),
    () => {},
  );
  const stop = (signal: string) => {
    process.stderr.write(`connector: ${signal}, shutting down\n`);
    service.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`connector: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`connector: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
