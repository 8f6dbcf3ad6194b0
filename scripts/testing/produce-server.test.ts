import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Kafka } from "@upstash/kafka";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_TOPICS, startProduceServer, type ProduceServer } from "./produce-server.ts";

let server: ProduceServer;
beforeAll(async () => {
  server = await startProduceServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const ErrorBody = z.object({ error: z.string(), status: z.number() });

describe("produce-server (test endpoint)", () => {
  it("serves what @upstash/kafka sends: topics, produce, produceMany", async () => {
    const kafka = new Kafka({ url: server.url, username: server.username, password: server.password });
    expect(await kafka.admin().topics()).toEqual(DEFAULT_TOPICS);

    const producer = kafka.producer();
    const first = await producer.produce("alerts", { level: "critical" }, { key: "acme/db-1" });
    expect(first).toMatchObject({ topic: "alerts", partition: 0, offset: 0 });
    const many = await producer.produceMany([
      { topic: "alerts", value: "plain", headers: [{ key: "h", value: "v" }] },
      { topic: "metrics", value: { cpu: 0.5 }, timestamp: 1_780_000_000_000 },
    ]);
    expect(many).toMatchObject([
      { topic: "alerts", partition: 0, offset: 1 },
      { topic: "metrics", partition: 0, offset: 0, timestamp: 1_780_000_000_000 },
    ]);

    expect(server.received()).toMatchObject([
      { topic: "alerts", key: "acme/db-1", value: '{"level":"critical"}', headers: [] },
      { topic: "alerts", key: null, value: "plain", headers: [{ key: "h", value: "v" }] },
      { topic: "metrics", key: null, value: '{"cpu":0.5}', timestamp: 1_780_000_000_000 },
    ]);
    expect(server.produceRequests()).toBe(2);
  });

  it("places keyed messages on a stable partition and counts offsets per partition", async () => {
    const multi = await startProduceServer({ topics: { metrics: 4 } });
    try {
      const producer = new Kafka({
        url: multi.url,
        username: multi.username,
        password: multi.password,
      }).producer();
      const keys = ["acme/a", "acme/b", "acme/c", "acme/a", "acme/b", "acme/a"];
      const results = await producer.produceMany(keys.map((key) => ({ topic: "metrics", key, value: key })));
      const partitionOf = new Map<string, number>();
      for (const [i, key] of keys.entries()) {
        const partition = results[i]?.partition;
        if (partition === undefined) throw new Error(`no result ${i}`);
        expect(partition).toBe(partitionOf.get(key) ?? partition);
        partitionOf.set(key, partition);
      }
      const offsetsOfA = results.filter((_, i) => keys[i] === "acme/a").map((r) => r.offset);
      expect(offsetsOfA).toEqual([...offsetsOfA].sort((x, y) => x - y));
      expect(new Set(offsetsOfA).size).toBe(3);
    } finally {
      await multi.close();
    }
  });

  it("answers errors as {error, status} with the same HTTP status", async () => {
    const unauthorised = await fetch(`${server.url}/topics`, {
      headers: { authorization: basic("test", "nope") },
    });
    expect(unauthorised.status).toBe(401);
    expect(ErrorBody.parse(await unauthorised.json())).toEqual({ error: "unauthorized", status: 401 });

    const auth = { authorization: basic(server.username, server.password) };
    const bad = await fetch(`${server.url}/produce`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify([{ topic: "metrics", value: "ok" }, { topic: "metrics" }]),
    });
    expect(bad.status).toBe(400);
    expect(ErrorBody.parse(await bad.json()).error).toContain("value");

    const unknown = await fetch(`${server.url}/produce`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify([
        { topic: "metrics", value: "ok" },
        { topic: "nope", value: "x" },
      ]),
    });
    expect(ErrorBody.parse(await unknown.json())).toEqual({ error: "unknown topic: nope", status: 400 });
    // A rejected request stores nothing, not even its valid messages.
    expect(server.received()).toEqual([]);
  });

  it("injects failures through the control endpoints and reports what it received", async () => {
    const auth = { authorization: basic(server.username, server.password) };
    const produce = () =>
      fetch(`${server.url}/produce`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ topic: "metrics", value: "v" }),
      });
    const armed = await fetch(`${server.url}/_control/fail`, {
      method: "POST",
      body: JSON.stringify({ count: 2, status: 503, after: 1 }),
    });
    expect(armed.status).toBe(200);

    expect((await produce()).status).toBe(200);
    const failed = await produce();
    expect(failed.status).toBe(503);
    expect(ErrorBody.parse(await failed.json())).toEqual({ error: "injected failure", status: 503 });
    expect((await produce()).status).toBe(503);
    expect((await produce()).status).toBe(200);

    const Received = z.object({
      produceRequests: z.number(),
      messages: z.array(z.object({ offset: z.number() })),
    });
    const report = Received.parse(await (await fetch(`${server.url}/_control/received`)).json());
    expect(report.produceRequests).toBe(4);
    expect(report.messages.map((m) => m.offset)).toEqual([0, 1]);

    await fetch(`${server.url}/_control/reset`, { method: "POST" });
    expect(server.received()).toEqual([]);
    expect(server.produceRequests()).toBe(0);
  });

  it("runs as a CLI that prints its URL and stops on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/testing/produce-server.ts", "--port", "0", "--password", "cli-pass"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [url] = await Promise.race([
        once(lines, "line"),
        once(child, "exit").then(([code]) => {
          throw new Error(`produce-server exited early with ${String(code)}`);
        }),
      ]);
      expect(String(url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const topics = await fetch(`${String(url)}/topics`, {
        headers: { authorization: basic("test", "cli-pass") },
      });
      expect(topics.status).toBe(200);
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
