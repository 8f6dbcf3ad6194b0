/**
 * The live path of issue #13: Debian's Prometheus (127.0.0.1, temporary data directory) scrapes the
 * real exporter (`exporter/main.ts` as a process) over a real PostgreSQL seeded with a failing host and
 * a healthy one, and evaluates the real rule files of prometheus/rules/. A PromQL query through the
 * HTTP API returns the seeded risks, and the critical risk rule fires for the failing host only; then
 * Debian's Alertmanager, with alertmanager.yml (its webhook URLs pointed at this test), routes that
 * alert to the critical receiver. Scrape and evaluation every second; every wait is bounded. Skipped,
 * loudly, without PostgreSQL, Prometheus or Alertmanager.
 */
import { readFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgresMissing, startPostgres, type RunningPostgres } from "../scripts/postgres/postgres.ts";
import { NodeService } from "../scripts/stack/node-service.ts";
import { migrate } from "../timescale/migrate.ts";
import {
  startAlertmanager,
  startPrometheus,
  toolsMissing,
  type RunningPrometheus,
  type RunningServer,
} from "./testing/prometheus.ts";
import { until } from "../scripts/lib/until.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const missing = postgresMissing() ?? toolsMissing(["prometheus", "prometheus-alertmanager"]);
if (missing) console.warn(`\n[prometheus/live.test] SKIPPED: ${missing}\n`);

const TENANT = "acme";
const FAILING = "db-failing";
const HEALTHY = "web-healthy";
const FAILING_RISK = { "5m": 0.91, "15m": 0.94, "30m": 0.97 };
const HEALTHY_RISK = { "5m": 0.02, "15m": 0.03, "30m": 0.05 };

const Sample = z.object({
  metric: z.record(z.string(), z.string()),
  value: z.tuple([z.number(), z.string()]),
});
const Vector = z.object({ resultType: z.literal("vector"), result: z.array(Sample) });
const Alert = z.object({
  labels: z.record(z.string(), z.string()),
  state: z.enum(["pending", "firing", "inactive"]),
  activeAt: z.string().optional(),
  value: z.string(),
});
const Alerts = z.object({ alerts: z.array(Alert) });
type AlertT = z.infer<typeof Alert>;
/** Alertmanager's webhook body (the part this test reads). */
const Webhook = z.object({
  receiver: z.string(),
  status: z.string(),
  alerts: z.array(z.object({ status: z.string(), labels: z.record(z.string(), z.string()) })),
});
type WebhookT = z.infer<typeof Webhook> & { path: string };

/** An HTTP server on 127.0.0.1 that keeps every webhook Alertmanager posts to it. */
async function webhookSink(): Promise<{ server: Server; url: string; received: WebhookT[] }> {
  const received: WebhookT[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Webhook.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      if (body.success) received.push({ ...body.data, path: req.url ?? "" });
      res.writeHead(body.success ? 200 : 400).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

/** host_latest, predictions and alerts rows: the failing host went ok → warning → critical. */
async function seed(sql: Sql): Promise<void> {
  const now = Date.now();
  const at = (secondsAgo: number): Date => new Date(now - secondsAgo * 1000);
  const hosts = [
    {
      host: FAILING,
      risk: FAILING_RISK,
      level: "critical",
      levelSince: at(120),
      ttb: { memory_usage: 240 },
      cpu: 97,
      mem: 96,
    },
    { host: HEALTHY, risk: HEALTHY_RISK, level: "ok", levelSince: null, ttb: {}, cpu: 20, mem: 40 },
  ];
  for (const h of hosts) {
    for (const [i, ago] of [300, 180, 60, 10].entries()) {
      // The failing host's risk climbs to its newest value; the healthy one's stays low.
      const f = (i + 1) / 4;
      const risk = Object.fromEntries(
        Object.entries(h.risk).map(([k, v]) => [k, h.host === FAILING ? v * f : v]),
      );
      const level = h.host === FAILING ? (["ok", "warning", "critical", "critical"][i] ?? "ok") : "ok";
      await sql`
        INSERT INTO metric_points (time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate)
        VALUES (${at(ago)}, ${TENANT}, ${h.host}, ${h.cpu}, ${h.mem}, ${40}, ${0.01})`;
      await sql`
        INSERT INTO predictions (time, tenant, host, risk, level, level_since, time_to_breach, model_version, steps_seen)
        VALUES (${at(ago)}, ${TENANT}, ${h.host}, ${sql.json(risk)}, ${level},
                ${level === "ok" ? null : at(180)}, ${sql.json(h.host === FAILING && i === 3 ? h.ttb : {})},
                ${"live-test"}, ${100 + i})`;
    }
    await sql`
      INSERT INTO host_latest (tenant, host, point_time, cpu_usage, memory_usage, network_latency, error_rate,
                               metrics, labels, prediction_time, risk, level, level_since, time_to_breach,
                               anomaly, model_version, steps_seen, updated_at)
      VALUES (${TENANT}, ${h.host}, ${at(10)}, ${h.cpu}, ${h.mem}, ${40}, ${0.01}, ${sql.json({})},
              ${sql.json({})}, ${at(10)}, ${sql.json(h.risk)}, ${h.level}, ${h.levelSince},
              ${sql.json(h.ttb)}, ${sql.json({})}, ${"live-test"}, ${103}, ${at(9)})`;
  }
  await sql`
    INSERT INTO alerts (time, tenant, host, from_level, to_level, risk) VALUES
      (${at(180)}, ${TENANT}, ${FAILING}, 'ok', 'warning', ${sql.json({ "30m": 0.7 })}),
      (${at(120)}, ${TENANT}, ${FAILING}, 'warning', 'critical', ${sql.json(FAILING_RISK)})`;
}

describe.skipIf(missing !== null)("Prometheus scraping the exporter over a seeded database", () => {
  let pg: RunningPostgres;
  let sql: Sql;
  let exporter: NodeService;
  let prom: RunningPrometheus;
  let am: RunningServer;
  let sink: Awaited<ReturnType<typeof webhookSink>>;
  const tmp = mkdtempSync(join(tmpdir(), "prometheus-live-"));

  beforeAll(async () => {
    pg = await startPostgres();
    sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
    await migrate(sql);
    await seed(sql);
    exporter = new NodeService({
      name: "exporter",
      cwd: root,
      entry: "exporter/main.ts",
      env: { DATABASE_URL: pg.url, EXPORTER_PORT: "0" },
      portVar: "EXPORTER_PORT",
      urlLine: /exporter listening on (http:\/\/127\.0\.0\.1:\d+)/,
      logFile: join(tmp, "exporter.log"),
    });
    const exporterUrl = await exporter.start();
    const rules = readdirSync(join(here, "rules"))
      .filter((f) => f.endsWith(".rules.yml"))
      .map((f) => join(here, "rules", f));
    // alertmanager.yml as it is, its receivers' webhook base pointed at this test.
    sink = await webhookSink();
    const amConfig = join(tmp, "alertmanager.yml");
    const amText = readFileSync(join(here, "alertmanager.yml"), "utf8");
    expect(amText).toContain("http://127.0.0.1:9099/");
    writeFileSync(amConfig, amText.replaceAll("http://127.0.0.1:9099/", `${sink.url}/`));
    am = await startAlertmanager(amConfig);
    const amUrl = new URL(am.url);
    const config = join(tmp, "prometheus.yml");
    // The job name of prometheus.yml, the real rule files, everything every second.
    writeFileSync(
      config,
      [
        "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }",
        "rule_files:",
        ...rules.map((r) => `  - ${JSON.stringify(r)}`),
        "scrape_configs:",
        "  - job_name: downtime-exporter",
        "    metrics_path: /metrics",
        `    static_configs: [{ targets: [${JSON.stringify(new URL(exporterUrl).host)}] }]`,
        "alerting:",
        "  alertmanagers:",
        `    - path_prefix: ${JSON.stringify(amUrl.pathname)}`,
        `      static_configs: [{ targets: [${JSON.stringify(amUrl.host)}] }]`,
        "",
      ].join("\n"),
    );
    prom = await startPrometheus(config);
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await new Promise((r) => (sink ? sink.server.close(r) : r(undefined)));
    await exporter?.stop();
    await sql?.end({ timeout: 5 });
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  const query = (q: string) =>
    prom.api(`/api/v1/query?query=${encodeURIComponent(q)}`, Vector).then((v) => v.result);

  it("a PromQL query through the HTTP API returns the seeded hosts' risk per horizon", async () => {
    const up = await until("the exporter scraped (up == 1)", 30_000, async () => {
      const r = await query('up{job="downtime-exporter"} == 1');
      return r.length === 1 ? r : undefined;
    });
    expect(up).toHaveLength(1);
    const risk = await until("downtime_risk of both seeded hosts", 30_000, async () => {
      const r = await query(`downtime_risk{tenant="${TENANT}"}`);
      return r.length >= 6 ? r : undefined;
    });
    const got = Object.fromEntries(
      risk.map((s) => [`${s.metric.host}/${s.metric.horizon}`, Number(s.value[1])]),
    );
    for (const [h, want] of [
      [FAILING, FAILING_RISK],
      [HEALTHY, HEALTHY_RISK],
    ] as const) {
      for (const [horizon, v] of Object.entries(want))
        expect(got[`${h}/${horizon}`], `${h} ${horizon}`).toBeCloseTo(v, 6);
    }
    // The failing host's critical level and its forecast breach are there as well.
    const [level] = await query(`downtime_level{tenant="${TENANT}",host="${FAILING}"}`);
    expect(Number(level?.value[1])).toBe(2);
    const [ttb] = await query(`downtime_time_to_breach_seconds{host="${FAILING}"}`);
    expect(ttb?.metric.metric).toBe("memory_usage");
  }, 90_000);

  it("DowntimeRiskHigh5m, evaluated by that Prometheus, fires for the failing host and for no other", async () => {
    const alerts = () => prom.api("/api/v1/alerts", Alerts).then((a) => a.alerts);
    const ofRule = (all: AlertT[], name: string) => all.filter((a) => a.labels.alertname === name);
    // Pending at once, firing after `for: 1m`.
    const pending = await until("DowntimeRiskHigh5m pending", 30_000, async () => {
      const a = ofRule(await alerts(), "DowntimeRiskHigh5m");
      return a.length > 0 ? a : undefined;
    });
    expect(pending.map((a) => a.labels.host)).toEqual([FAILING]);
    const firing = await until("DowntimeRiskHigh5m firing", 100_000, async () => {
      const a = ofRule(await alerts(), "DowntimeRiskHigh5m").filter((x) => x.state === "firing");
      return a.length > 0 ? a : undefined;
    });
    expect(firing).toHaveLength(1);
    expect(firing[0]?.labels).toMatchObject({
      tenant: TENANT,
      host: FAILING,
      horizon: "5m",
      severity: "critical",
      job: "downtime-exporter",
    });
    expect(Number(firing[0]?.value)).toBeCloseTo(FAILING_RISK["5m"], 6);
    // Meanwhile the 30-min and time-to-breach rules are active for it too (`for: 2m`: pending or
    // firing), and nothing is active for the healthy host.
    const all = await alerts();
    for (const name of ["DowntimeRiskHigh15m", "DowntimeRiskHigh30m", "DowntimeImminent"]) {
      expect(
        ofRule(all, name).map((a) => a.labels.host),
        name,
      ).toEqual([FAILING]);
    }
    expect(all.filter((a) => a.labels.host === HEALTHY)).toEqual([]);
  }, 150_000);

  it("Alertmanager routes the critical alert to the critical receiver (pager)", async () => {
    // Follows the firing above: Prometheus sends it, Alertmanager waits group_wait (10 s) and posts.
    const hook = await until("a webhook for DowntimeRiskHigh5m", 60_000, async () =>
      Promise.resolve(
        sink.received.find((w) => w.alerts.some((a) => a.labels.alertname === "DowntimeRiskHigh5m")),
      ),
    );
    expect(hook.receiver).toBe("pager");
    expect(hook.path).toBe("/alerts/critical");
    expect(hook.status).toBe("firing");
    const hosts = hook.alerts
      .filter((a) => a.labels.alertname === "DowntimeRiskHigh5m")
      .map((a) => a.labels.host);
    expect(hosts).toEqual([FAILING]);
  }, 90_000);
});
