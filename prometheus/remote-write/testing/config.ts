/**
 * A prometheus.yml built from the shipped files: edge.rules.yml as its rule file and remote-write.yml's
 * block with its placeholders filled in, scraping one node_exporter every second.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REMOTE_WRITE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const here = REMOTE_WRITE_DIR;

/** prometheus.yml for this run: the shipped rules and the shipped remote_write block, placeholders filled. */
export function prometheusConfig(o: { target: string; edgeUrl: string; key: string }): string {
  const snippet = readFileSync(join(here, "remote-write.yml"), "utf8")
    .replaceAll("EDGE_URL", o.edgeUrl)
    .replaceAll("EDGE_WRITE_KEY", o.key)
    // Short deadline for the test (the shipped 5 s would only make the wait longer).
    .replace("batch_send_deadline: 5s", "batch_send_deadline: 1s");
  return [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    `  - ${JSON.stringify(join(here, "edge.rules.yml"))}`,
    "scrape_configs:",
    "  - job_name: node",
    "    static_configs:",
    `      - targets: [${JSON.stringify(o.target)}]`,
    snippet,
  ].join("\n");
}
