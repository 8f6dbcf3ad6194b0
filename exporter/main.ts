/**
 * The exporter as a process: `node --import tsx exporter/main.ts`, configured by environment variables
 * (`config.ts`, README.md). Prints `exporter listening on http://HOST:PORT` once it serves (the
 * database need not be up yet: scrapes then say `downtime_exporter_database_up 0` and /health 503).
 * SIGTERM/SIGINT: graceful shutdown, exit 0 (1 if the shutdown itself failed). A bad or missing
 * variable is reported by name and the process exits 2 without starting.
 */
import { pathToFileURL } from "node:url";
import { ConfigError, configFromEnv, type ExporterConfig } from "./config.ts";
import { startExporter } from "./server.ts";

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ExporterConfig;
  try {
    config = configFromEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const exporter = await startExporter(config);
  const kafka =
    config.brokers.length > 0 ? `Kafka ${config.brokers.join(",")}` : "no Kafka (no connector lag)";
  process.stdout.write(
    `exporter listening on ${exporter.url} (/metrics, /metrics/prometheus, /health; ${kafka}; risk floor ${config.riskFloor}, top ${config.topN}, at most ${config.maxHosts} hosts)\n`,
  );
  const stop = (signal: string) => {
    process.stderr.write(`exporter: ${signal}, shutting down\n`);
    exporter.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`exporter: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`exporter: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
