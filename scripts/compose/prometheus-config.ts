/**
 * `docker/prometheus/prometheus.yml`: prometheus/prometheus.yml as Compose's Prometheus needs it. The
 * source names the `npm run stack` addresses (127.0.0.1:PORT); inside Compose each service is its own
 * host, so each target becomes `<service>:PORT`, and the relative `rule_files` become absolute under
 * /etc/prometheus, where docker-compose.yml mounts prometheus/. Everything else, comments included, is
 * copied as it is. A target on a port this file does not know is an error naming it, not a silent
 * miss.
 *
 * Regenerate: `npx tsx scripts/compose/prometheus-config.ts` (compose.test.ts fails while the committed
 * file differs from what this produces).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SOURCE = "prometheus/prometheus.yml";
export const TARGET = "docker/prometheus/prometheus.yml";
/** Where docker-compose.yml mounts prometheus/ in the Prometheus container. */
export const MOUNTED_AT = "/etc/prometheus";

/** `npm run stack`'s port → the Compose service listening on it. */
export const COMPOSE_HOSTS: Readonly<Record<string, string>> = {
  "8790": "gateway",
  "9465": "connector",
  "9466": "exporter",
  "9093": "alertmanager",
  // Prometheus scraping itself: its own loopback, in Compose too.
  "9090": "127.0.0.1",
};

export class PrometheusConfigError extends Error {
  override readonly name = "PrometheusConfigError";
}

const HEADER = [
  `# GENERATED from ${SOURCE} by scripts/compose/prometheus-config.ts: do not edit; edit the source`,
  "# and run `npx tsx scripts/compose/prometheus-config.ts`. Targets are Compose service names; rule",
  `# files are read from ${MOUNTED_AT} (prometheus/ mounted read-only).`,
  "",
];

/** The Compose variant of a Prometheus configuration's text (see the module comment). */
export function composePrometheusConfig(source: string): string {
  let inRuleFiles = false;
  const out = source.split("\n").map((line, i) => {
    const hash = line.search(/(^|\s)#/);
    const code = hash === -1 ? line : line.slice(0, hash);
    const comment = hash === -1 ? "" : line.slice(hash);
    if (/^\S/.test(code)) inRuleFiles = /^rule_files:\s*$/.test(code);
    let rewritten = code.replace(/(?:127\.0\.0\.1|localhost):(\d+)/g, (match, port: string) => {
      const host = COMPOSE_HOSTS[port];
      if (host === undefined)
        throw new PrometheusConfigError(
          `${SOURCE}:${i + 1}: target ${match} is on no port docker-compose.yml knows (${Object.keys(COMPOSE_HOSTS).join(", ")}): add it to COMPOSE_HOSTS`,
        );
      return `${host}:${port}`;
    });
    if (inRuleFiles)
      rewritten = rewritten.replace(
        /^(\s*-\s*["']?)(?![/"'])(\S+?)(["']?\s*)$/,
        (_m, pre: string, path: string, post: string) => `${pre}${MOUNTED_AT}/${path}${post}`,
      );
    return rewritten + comment;
  });
  return [...HEADER, ...out].join("\n");
}

/** Reads the source and returns what {@link TARGET} must hold. */
export function expectedComposeConfig(root = ROOT): string {
  return composePrometheusConfig(readFileSync(join(root, SOURCE), "utf8"));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(join(ROOT, TARGET), expectedComposeConfig());
  process.stdout.write(`wrote ${TARGET} from ${SOURCE}\n`);
}
