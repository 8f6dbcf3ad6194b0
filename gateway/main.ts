/**
 * The gateway as a process: `npx tsx gateway/main.ts`, configured by environment variables (see
 * README.md): prints `gateway listening on http://HOST:PORT` once it serves, and shuts down
 * gracefully on SIGTERM/SIGINT (exit 0; exit 1 if the shutdown itself failed). A bad or missing
 * variable is reported by name and the process exits 2 without starting.
 */
import { pathToFileURL } from "node:url";
import { ConfigError, configFromEnv } from "./config.ts";
import { startGateway } from "./server.ts";

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = configFromEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const gateway = await startGateway(config);
  process.stdout.write(
    `gateway listening on ${gateway.url} (Kafka ${config.brokers.join(",")}, client ${config.kafkaClient})\n`,
  );
  const stop = (signal: string) => {
    process.stderr.write(`gateway: ${signal}, shutting down\n`);
    gateway.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`gateway: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`gateway: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
