/**
 * `gateway/main.ts` as a process: refuses to start without credentials (naming the variables), prints
 * its URL on `GATEWAY_PORT=0`, and exits 0 on SIGTERM. No Kafka needed: the gateway starts without a
 * broker (its /health says 503).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/ports.ts";
import { configFromEnv } from "./config.ts";

const TSX = ["--import", "tsx", "gateway/main.ts"];

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, TSX, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return { child, out: () => stdout, err: () => stderr };
}

describe("gateway/main.ts", () => {
  it("refuses to start without credentials, naming each variable", async () => {
    const p = run({ KAFKA_BROKERS: "127.0.0.1:9" });
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(2);
    expect(p.err()).toMatch(/GATEWAY_USERNAME: is required: the gateway has no default credentials/);
    expect(p.err()).toMatch(/GATEWAY_PASSWORD: is required/);
  }, 30_000);

  it("prints the bound URL, serves /health (503 without a broker), exits 0 on SIGTERM", async () => {
    const deadBroker = `127.0.0.1:${await freePort()}`;
    const p = run({
      KAFKA_BROKERS: deadBroker,
      GATEWAY_USERNAME: "u",
      GATEWAY_PASSWORD: "p",
      GATEWAY_PORT: "0",
    });
    for (let i = 0; i < 300 && !/listening on http/.test(p.out()); i++)
      await new Promise((r) => setTimeout(r, 50));
    const url = /gateway listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())?.[1];
    expect(url, p.err()).toBeDefined();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    p.child.kill("SIGTERM");
    const [code] = (await once(p.child, "exit")) as [number];
    expect(code).toBe(0);
  }, 60_000);

  it("names bad variables in config errors", () => {
    expect(() =>
      configFromEnv({
        KAFKA_BROKERS: "localhost",
        GATEWAY_USERNAME: "a:b",
        GATEWAY_PASSWORD: "p",
        GATEWAY_PORT: "70000",
        GATEWAY_KAFKA_CLIENT: "rdkafka",
      }),
    ).toThrow(
      /KAFKA_BROKERS: must be host:port[\s\S]*GATEWAY_USERNAME: [\s\S]*GATEWAY_PORT: must be 0..65535[\s\S]*GATEWAY_KAFKA_CLIENT: must be one of kafkajs, platformatic/,
    );
    expect(
      configFromEnv({ KAFKA_BROKERS: "a:1, b:2", GATEWAY_USERNAME: "u", GATEWAY_PASSWORD: "p" }),
    ).toMatchObject({
      brokers: ["a:1", "b:2"],
      topics: ["metrics", "predictions", "alerts", "dead-letter"],
      host: "127.0.0.1",
      port: 0,
    });
  });
});
