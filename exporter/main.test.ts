/**
 * `exporter/main.ts` as a process, without PostgreSQL: it refuses a bad environment (naming each
 * variable, exit 2), and otherwise serves at once — /health 503 while the database is unreachable —
 * and exits 0 on SIGTERM.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/ports.ts";
import { configFromEnv, DEFAULT_EXPORTER_PORT } from "./config.ts";

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "exporter/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return { child, out: () => stdout, err: () => stderr };
}

describe("exporter/main.ts", () => {
  it("exits 2 on a bad environment, naming every variable", async () => {
    const p = run({
      EXPORTER_PORT: "99999",
      EXPORTER_RISK_FLOOR: "1.5",
      EXPORTER_TOP_N: "ten",
      KAFKA_BROKERS: "localhost",
    });
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(2);
    expect(p.err()).toMatch(/DATABASE_URL: is required/);
    expect(p.err()).toMatch(/EXPORTER_PORT: must be 0\.\.65535/);
    expect(p.err()).toMatch(/EXPORTER_RISK_FLOOR: must be a fraction 0\.\.1/);
    expect(p.err()).toMatch(/EXPORTER_TOP_N: must be a whole number/);
    expect(p.err()).toMatch(/KAFKA_BROKERS: must be host:port/);
    expect(p.out()).toBe("");
  }, 30_000);

  it("serves /health (503, database down) and /metrics at once, and exits 0 on SIGTERM", async () => {
    const dead = await freePort();
    const p = run({ DATABASE_URL: `postgres://u:p@127.0.0.1:${dead}/downtime`, EXPORTER_PORT: "0" });
    for (let i = 0; i < 300 && !/listening on http/.test(p.out()); i++)
      await new Promise((r) => setTimeout(r, 50));
    const url = /exporter listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())?.[1];
    expect(url, p.err()).toBeDefined();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, database: "down" });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^downtime_exporter_database_up 0$/m);
    p.child.kill("SIGTERM");
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(0);
    expect(p.err()).toMatch(/SIGTERM, shutting down/);
  }, 60_000);

  it("defaults: only DATABASE_URL is needed; Kafka is optional", () => {
    const c = configFromEnv({ DATABASE_URL: "postgres://a:b@h/d" });
    expect(c).toMatchObject({
      port: DEFAULT_EXPORTER_PORT,
      host: "127.0.0.1",
      riskFloor: 0.5,
      topN: 50,
      maxHosts: 1000,
      brokers: [],
      connectorGroups: ["timescale-connector"],
    });
    expect(
      configFromEnv({
        DATABASE_URL: "postgres://a:b@h/d",
        KAFKA_BROKERS: "127.0.0.1:9092, k2:9093",
        EXPORTER_RISK_FLOOR: "0.25",
        EXPORTER_CONNECTOR_GROUPS: "a,b",
      }),
    ).toMatchObject({ brokers: ["127.0.0.1:9092", "k2:9093"], riskFloor: 0.25, connectorGroups: ["a", "b"] });
  });
});
