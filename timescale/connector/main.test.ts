/**
 * `timescale/connector/main.ts` as a process, without Kafka or PostgreSQL: it refuses to start on a
 * bad environment (naming each variable), and otherwise serves /health at once — 503 with the reason
 * while the database is unreachable — and exits 0 on SIGTERM even before it ever connected. (The
 * connected service is exercised by the pipeline tests, which kill it mid-stream.)
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/ports.ts";
import { configFromEnv } from "./config.ts";

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "timescale/connector/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return { child, out: () => stdout, err: () => stderr };
}

describe("timescale/connector/main.ts", () => {
  it("exits 2 on a bad environment, naming every variable", async () => {
    const p = run({ KAFKA_BROKERS: "localhost", CONNECTOR_PORT: "99999", CONNECTOR_MIGRATE: "yes" });
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(2);
    expect(p.err()).toMatch(/KAFKA_BROKERS: must be host:port/);
    expect(p.err()).toMatch(/DATABASE_URL: is required/);
    expect(p.err()).toMatch(/CONNECTOR_PORT: must be 0\.\.65535/);
    expect(p.err()).toMatch(/CONNECTOR_MIGRATE: must be true or false/);
  }, 30_000);

  it("serves /health (503, database not ready) before anything is up, and exits 0 on SIGTERM", async () => {
    const dead = await freePort();
    const p = run({
      KAFKA_BROKERS: `127.0.0.1:${dead}`,
      DATABASE_URL: `postgres://u:p@127.0.0.1:${dead}/downtime`,
      CONNECTOR_PORT: "0",
    });
    for (let i = 0; i < 300 && !/serving http/.test(p.out()); i++)
      await new Promise((r) => setTimeout(r, 50));
    const url = /connector serving (http:\/\/127\.0\.0\.1:\d+)\/health/.exec(p.out())?.[1];
    expect(url, p.err()).toBeDefined();
    for (let i = 0; i < 100 && !/database not ready/.test(p.err()); i++)
      await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      ok: false,
      phase: "starting",
      problem: /database not ready/,
    });
    expect((await fetch(`${url}/metrics`)).status).toBe(503);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    p.child.kill("SIGTERM");
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(0);
  }, 60_000);

  it("defaults", () => {
    const c = configFromEnv({
      KAFKA_BROKERS: "127.0.0.1:9092, 127.0.0.1:9093",
      DATABASE_URL: "postgres://a:b@h/d",
    });
    expect(c).toMatchObject({
      brokers: ["127.0.0.1:9092", "127.0.0.1:9093"],
      port: 9465,
      host: "127.0.0.1",
      groupId: "timescale-connector",
      migrate: true,
    });
  });
});
