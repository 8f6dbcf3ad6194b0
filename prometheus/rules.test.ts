/**
 * The Prometheus and Alertmanager configuration of prometheus/ with Debian's tools (Prometheus 2.42,
 * Alertmanager 0.25): `promtool check config|rules`, `promtool test rules` (every alert fires in one
 * case and stays silent in another), `amtool check-config` and the route of each severity. Then the
 * rules as a real Prometheus loads them: the alerts issue #13 asks for, only metric names that exist
 * (the exporter's from contracts/exporter.ts, the gateway's and connector's from their prom-client
 * definitions), the model's own risk thresholds, a README section per alert. Skipped, loudly, without
 * the tools.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EXPORTED_HORIZONS, EXPORTED_NAMES } from "../contracts/exporter.ts";
import { parseModelMeta } from "../model/core/meta.ts";
import { metricNames, ruleTestCases } from "./testing/promql.ts";
import { runTool, startPrometheus, toolsMissing, type RunningPrometheus } from "./testing/prometheus.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const read = (p: string): string => readFileSync(join(root, p), "utf8");
const RULE_FILES = readdirSync(join(here, "rules")).filter((f) => f.endsWith(".rules.yml"));
const TEST_FILES = readdirSync(join(here, "tests")).filter((f) => f.endsWith(".test.yml"));

const toolsGone = toolsMissing(["promtool", "amtool"]);
const serverGone = toolsMissing(["prometheus"]);
if (toolsGone) console.warn(`\n[prometheus/rules.test] promtool/amtool cases SKIPPED: ${toolsGone}\n`);
if (serverGone) console.warn(`\n[prometheus/rules.test] loaded-rules cases SKIPPED: ${serverGone}\n`);

/** The alerts issue #13 asks for (risk per horizon, imminent, silent, stale, lag, gateway, dead letters) and the rest. */
const ALERTS = [
  "ConnectorDatabaseDown",
  "ConnectorLagHigh",
  "DeadLettersGrowing",
  "DowntimeExporterDatabaseDown",
  "DowntimeHostSilent",
  "DowntimeImminent",
  "DowntimeManyHostsSilent",
  "DowntimePipelineSlow",
  "DowntimePredictionsStale",
  "DowntimeRiskHigh15m",
  "DowntimeRiskHigh30m",
  "DowntimeRiskHigh5m",
  "DowntimeTargetDown",
  "GatewayErrors",
  "GatewayRequestsRejected",
];

/** Metric names a prom-client module defines (`new Counter({ name: "…"`), histograms with their series. */
function promClientNames(file: string): string[] {
  const out: string[] = [];
  for (const m of read(file).matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*"([^"]+)"/g)) {
    const [, type, name] = m;
    if (type === undefined || name === undefined) continue;
    out.push(name);
    if (type === "Histogram") out.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
    if (type === "Summary") out.push(`${name}_sum`, `${name}_count`);
  }
  return out;
}

describe("metricNames and ruleTestCases", () => {
  it("finds the metrics of an expression, not its functions, labels, strings or durations", () => {
    expect(
      metricNames(
        'sum by (job, instance) (rate(gateway_http_requests_total{route="/produce", status=~"5.."}[5m])) / on (job) group_left (x) sum without (kind) (b:rec:rate5m offset 1h) > 0.05 and up == 1e3',
      ),
    ).toEqual(["b:rec:rate5m", "gateway_http_requests_total", "up"]);
    expect(metricNames('{__name__="x"} > bool 1')).toEqual([]);
  });

  it("reads firing and not-firing cases", () => {
    const yaml = [
      "    alert_rule_test:",
      "      - eval_time: 1m",
      "        alertname: A",
      "        exp_alerts: []",
      "      - eval_time: 3m",
      "        alertname: A",
      "        exp_alerts:",
      "          - exp_labels: { severity: critical }",
    ].join("\n");
    expect(ruleTestCases(yaml)).toEqual([
      { alertname: "A", evalTime: "1m", firing: false },
      { alertname: "A", evalTime: "3m", firing: true },
    ]);
  });
});

describe.skipIf(toolsGone !== null)("promtool and amtool", () => {
  it("promtool check config: prometheus.yml and the rule files it names are valid", () => {
    const r = runTool("promtool", ["check", "config", "prometheus.yml"], here);
    expect(r.output).toContain("SUCCESS");
    expect(r.status, r.output).toBe(0);
    // Every rule file is picked up by the glob in rule_files.
    expect(r.output).toContain(`SUCCESS: ${RULE_FILES.length} rule files found`);
  });

  it("promtool check rules: every rule file is valid", () => {
    const r = runTool("promtool", ["check", "rules", ...RULE_FILES.map((f) => `rules/${f}`)], here);
    expect(r.status, r.output).toBe(0);
  });

  it("promtool test rules: every unit-test case passes", () => {
    expect(TEST_FILES.length).toBeGreaterThan(0);
    const r = runTool("promtool", ["test", "rules", ...TEST_FILES.map((f) => `tests/${f}`)], here);
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain("FAILED");
  });

  it("promtool test rules fails when a firing case expects other labels", () => {
    // Proves the cases are checked at all (a file whose rules did not load would pass nothing, one
    // that named no cases would pass everything). The copy stays in tests/ for its relative rule_files.
    for (const f of TEST_FILES) {
      const text = readFileSync(join(here, "tests", f), "utf8");
      const firing = ruleTestCases(text).find((c) => c.firing);
      expect(firing, `${f} has a firing case`).toBeDefined();
      const at = text.indexOf(
        `alertname: ${firing!.alertname}\n`,
        text.indexOf(`eval_time: ${firing!.evalTime}`),
      );
      const brace = text.indexOf("{", text.indexOf("exp_labels:", at));
      const mutated = `${text.slice(0, brace + 1)} mutated: "yes",${text.slice(brace + 1)}`;
      const copy = join(here, "tests", `.mutated-${process.pid}-${f}`);
      try {
        writeFileSync(copy, mutated);
        const r = runTool("promtool", ["test", "rules", copy], here);
        expect(r.status, r.output).not.toBe(0);
        expect(r.output).toContain(`alertname: ${firing!.alertname}, time: ${firing!.evalTime}`);
      } finally {
        rmSync(copy, { force: true });
      }
    }
  });

  it("every alert has a firing case and a not-firing case", () => {
    const cases = TEST_FILES.flatMap((f) => ruleTestCases(readFileSync(join(here, "tests", f), "utf8")));
    for (const a of ALERTS) {
      const mine = cases.filter((c) => c.alertname === a);
      expect(
        mine.some((c) => c.firing),
        `${a} has a firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => !c.firing),
        `${a} has a not-firing case`,
      ).toBe(true);
    }
    expect([...new Set(cases.map((c) => c.alertname))].sort()).toEqual(ALERTS);
  });

  it("amtool check-config: alertmanager.yml is valid", () => {
    const r = runTool("amtool", ["check-config", "alertmanager.yml"], here);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain("SUCCESS");
  });

  it("Alertmanager routes each severity to its own receiver", () => {
    const receiver = (severity: string): string => {
      const r = runTool(
        "amtool",
        ["config", "routes", "test", "--config.file=alertmanager.yml", `severity=${severity}`, "alertname=X"],
        here,
      );
      expect(r.status, r.output).toBe(0);
      return r.output.replace(/^Warning:.*$/gm, "").trim();
    };
    expect(receiver("critical")).toBe("pager");
    expect(receiver("warning")).toBe("tickets");
    expect(receiver("info")).toBe("default");
  });
});

const Rule = z.object({
  type: z.enum(["alerting", "recording"]),
  name: z.string(),
  query: z.string(),
  duration: z.number().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const Rules = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(Rule) })) });
type LoadedRule = z.infer<typeof Rule>;

describe.skipIf(serverGone !== null)("the rules as Prometheus 2.42 loads them", () => {
  let prom: RunningPrometheus;
  let rules: LoadedRule[];
  const tmp = mkdtempSync(join(tmpdir(), "prometheus-rules-"));

  beforeAll(async () => {
    // Only the rule files: nothing to scrape, nothing to alert.
    for (const f of RULE_FILES) copyFileSync(join(here, "rules", f), join(tmp, f));
    const config = join(tmp, "prometheus.yml");
    writeFileSync(config, `rule_files:\n${RULE_FILES.map((f) => `  - ${f}\n`).join("")}`);
    prom = await startPrometheus(config);
    rules = (await prom.api("/api/v1/rules", Rules)).groups.flatMap((g) => g.rules);
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it("are the alerts issue #13 asks for, each with a severity, a summary and a README section", () => {
    expect(rules.map((r) => r.name).sort()).toEqual(ALERTS);
    const readme = read("prometheus/README.md");
    for (const r of rules) {
      expect(r.type).toBe("alerting");
      expect(["critical", "warning"], r.name).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.name).toBeTruthy();
      expect(r.annotations?.runbook, r.name).toBe(`prometheus/README.md#${r.name.toLowerCase()}`);
      expect(readme, `README.md has a section for ${r.name}`).toMatch(new RegExp(`^### ${r.name}$`, "m"));
    }
  });

  it("use only metrics that exist: the exporter's contract, the gateway's and the connector's", () => {
    const known = new Set([
      ...EXPORTED_NAMES,
      ...promClientNames("gateway/metrics.ts"),
      ...promClientNames("timescale/connector/connector.ts"),
      "up", // Prometheus' own per-target series
    ]);
    expect(known).toContain("gateway_errors_total");
    expect(known).toContain("connector_dead_letters_total");
    const used = new Map<string, string>();
    for (const r of rules) {
      const names = metricNames(r.query);
      expect(names.length, `${r.name} selects a metric: ${r.query}`).toBeGreaterThan(0);
      for (const n of names) used.set(n, r.name);
    }
    const unknown = [...used].filter(([n]) => !known.has(n)).map(([n, rule]) => `${n} (in ${rule})`);
    expect(unknown).toEqual([]);
  });

  it("have a risk alert for every exported horizon, at the model's own thresholds", () => {
    const meta = parseModelMeta(JSON.parse(read("model/artifacts/downtime-lstm.json")));
    const riskRule = (h: string): LoadedRule | undefined =>
      rules.find((r) => r.query.includes("downtime_risk") && r.query.includes(`horizon="${h}"`));
    for (const h of EXPORTED_HORIZONS)
      expect(riskRule(h), `a rule on downtime_risk{horizon="${h}"}`).toBeDefined();
    for (const level of ["critical", "warning"] as const) {
      const t = meta.thresholds[level];
      const enter = t.enter ?? t.p_min;
      const r = riskRule(`${t.horizon_minutes}m`);
      expect(r?.labels?.severity, `${r?.name}`).toBe(level);
      expect(r?.query, `${r?.name} fires at the model's ${level} threshold`).toMatch(
        new RegExp(`>= ${String(enter).replace(".", "\\.")}$`),
      );
    }
  });
});
