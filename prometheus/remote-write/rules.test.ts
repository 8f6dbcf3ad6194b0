/**
 * The shipped remote_write recipe with Debian's promtool: the recording rules load
 * (`promtool check rules`) and compute the four metrics from node_exporter, blackbox_exporter and HTTP
 * counter series (`promtool test rules`, tests/edge.test.yml); a prometheus.yml carrying the shipped
 * remote_write block is valid (`promtool check config`), and that block keeps exactly the four names.
 * Skipped, loudly, without promtool.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../contracts/metrics.ts";
import { runTool, toolsMissing } from "../testing/prometheus.ts";
import { prometheusConfig, REMOTE_WRITE_DIR } from "./testing/config.ts";

const missing = toolsMissing(["promtool"]);
if (missing) console.warn(`\n[prometheus/remote-write/rules.test] SKIPPED: ${missing}\n`);

describe.skipIf(missing !== null)("prometheus/remote-write with promtool", () => {
  it("promtool check rules: edge.rules.yml records exactly the four model inputs", () => {
    const r = runTool("promtool", ["check", "rules", "edge.rules.yml"], REMOTE_WRITE_DIR);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: 4 rules found/);
    const recorded = [
      ...readFileSync(join(REMOTE_WRITE_DIR, "edge.rules.yml"), "utf8").matchAll(/- record: (\S+)/g),
    ];
    expect(recorded.map((m) => m[1]).sort()).toEqual([...METRICS].sort());
  });

  it("promtool test rules: cpu, memory, latency and error rate from real exporters' series", () => {
    const r = runTool("promtool", ["test", "rules", "tests/edge.test.yml"], REMOTE_WRITE_DIR);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it("promtool check config: a prometheus.yml with the shipped remote_write block; it keeps only the four", () => {
    const dir = mkdtempSync(join(tmpdir(), "remote-write-config-"));
    try {
      const file = join(dir, "prometheus.yml");
      writeFileSync(
        file,
        prometheusConfig({ target: "127.0.0.1:9100", edgeUrl: "https://edge.example", key: "k" }),
      );
      const r = runTool("promtool", ["check", "config", file], dir);
      expect(r.status, r.output).toBe(0);
      const snippet = readFileSync(join(REMOTE_WRITE_DIR, "remote-write.yml"), "utf8");
      const keep = /regex: (\S+)\n\s+action: keep/.exec(snippet)?.[1];
      expect(keep?.split("|").sort()).toEqual([...METRICS].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
