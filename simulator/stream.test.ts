import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseFleetConfig, stepCount } from "./config.ts";
import { fleetPoints } from "./fleet.ts";
import { resolveShift, streamFleet, streamPoints, StreamError, type StreamClock } from "./stream.ts";
import type { MetricPoint } from "./types.ts";

const PointSchema = z
  .object({
    host: z.string(),
    timestamp: z.number().int(),
    cpu_usage: z.number(),
    memory_usage: z.number(),
    network_latency: z.number(),
    error_rate: z.number(),
  })
  .strict();
const BodySchema = z.object({ points: z.array(PointSchema) }).strict();

interface Received {
  batches: MetricPoint[][];
  headers: IncomingMessage["headers"][];
}

/** Response for request n (0-based). */
type Reply = (n: number) => { status: number; body: string };
const ok: Reply = () => ({ status: 202, body: '{"accepted":true}' });

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Local endpoint on 127.0.0.1 (port 0 = any free port); records the batches it accepted (2xx). */
async function listen(
  reply: Reply = ok,
  port = 0,
): Promise<{ url: string; received: Received; requests: () => number }> {
  const received: Received = { batches: [], headers: [] };
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = BodySchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      const { status, body: text } = reply(n++);
      if (status >= 200 && status < 300) {
        received.batches.push(body.points);
        received.headers.push(req.headers);
      }
      res.writeHead(status, { "content-type": "application/json" }).end(text);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: actual } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${actual}/metrics`, received, requests: () => n };
}

const fleet = parseFleetConfig({ seed: 9, hosts: 4, durationMs: 3 * 3_600_000, failuresPerHostDay: 4 });

describe("streamFleet", () => {
  it("delivers every point exactly once, in timestamp order, in bounded batches", async () => {
    const { url, received } = await listen();
    const result = await streamFleet({ fleet, url, apiKey: "secret", batchSize: 50, speed: 0 });
    const expected = [...fleetPoints(fleet)];
    const got = received.batches.flat();
    expect(result).toMatchObject({ stoppedBy: "end", sentPoints: expected.length, retries: 0 });
    expect(got).toEqual(expected);
    expect(received.batches.every((b) => b.length > 0 && b.length <= 50)).toBe(true);
    expect(received.headers[0]?.authorization).toBe("Bearer secret");
    expect(received.headers[0]?.["content-type"]).toBe("application/json");
  });

  it("reports an HTTP error with status and response body, without retrying a 4xx", async () => {
    const { url, requests } = await listen(() => ({
      status: 400,
      body: '{"error":"invalid point","field":"points.0.cpu_usage"}',
    }));
    const err = await streamFleet({ fleet, url, speed: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect((err as StreamError).status).toBe(400);
    expect((err as StreamError).message).toContain("points.0.cpu_usage");
    expect(requests()).toBe(1);
  });

  it("retries 503s and connection errors, still delivering each point once", async () => {
    const { url, received } = await listen((n) => (n % 3 === 0 ? { status: 503, body: "busy" } : ok(n)));
    const result = await streamFleet({ fleet, url, speed: 0, batchSize: 200, retryDelayMs: 1 });
    expect(result.retries).toBeGreaterThan(0);
    expect(received.batches.flat()).toEqual([...fleetPoints(fleet)]);

    // Nothing listens yet: the first attempts are refused, then the endpoint appears.
    const probe = await listen();
    const port = Number(new URL(probe.url).port);
    await new Promise((r) => servers.pop()?.close(r));
    const late = streamFleet({
      fleet,
      url: `http://127.0.0.1:${port}/metrics`,
      speed: 0,
      retries: 8,
      retryDelayMs: 50,
    });
    await new Promise((r) => setTimeout(r, 120));
    const { received: lateReceived } = await listen(ok, port);
    const lateResult = await late;
    expect(lateResult.retries).toBeGreaterThan(0);
    expect(lateReceived.batches.flat()).toEqual([...fleetPoints(fleet)]);
  });

  it("gives up on a dead endpoint after its retries, naming the URL", async () => {
    const probe = await listen();
    const port = Number(new URL(probe.url).port);
    await new Promise((r) => servers.pop()?.close(r));
    const err = await streamFleet({
      fleet,
      url: `http://127.0.0.1:${port}/metrics`,
      speed: 0,
      retries: 2,
      retryDelayMs: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect((err as StreamError).code).toBe("NETWORK");
    expect((err as StreamError).message).toContain(`127.0.0.1:${port}`);
    expect((err as StreamError).message).toContain("after 3 attempts");
  });

  it("stops cleanly when aborted, and at --max-points exactly", async () => {
    const { url, received } = await listen();
    const ac = new AbortController();
    const result = await streamFleet(
      {
        fleet,
        url,
        speed: 0,
        batchSize: 10,
        onProgress: (p) => {
          if (p.batches === 3) ac.abort();
        },
      },
      ac.signal,
    );
    expect(result).toMatchObject({ stoppedBy: "aborted", sentPoints: 30, batches: 3 });
    expect(received.batches.flat()).toEqual([...fleetPoints(fleet)].slice(0, 30));

    const capped = await listen();
    const r2 = await streamFleet({ fleet, url: capped.url, speed: 0, batchSize: 7, maxPoints: 25 });
    expect(r2).toMatchObject({ stoppedBy: "max-points", sentPoints: 25 });
    expect(capped.received.batches.flat()).toEqual([...fleetPoints(fleet)].slice(0, 25));
  });
});

describe("pacing and time shift", () => {
  /** Virtual clock: sleeping advances time instantly, so pacing is checked without wall-clock waits. */
  function virtualClock(start: number): StreamClock & { t: number } {
    const c = {
      t: start,
      now: () => c.t,
      sleep: (ms: number) => {
        c.t += Math.max(0, ms);
        return Promise.resolve();
      },
    };
    return c;
  }

  it("paces at `speed` simulated seconds per real second", async () => {
    const clock = virtualClock(1_000_000);
    const posts: { at: number; points: MetricPoint[] }[] = [];
    const fakeFetch: typeof fetch = async (_url, init) => {
      const body = BodySchema.parse(JSON.parse(String(init?.body)));
      posts.push({ at: clock.t, points: body.points });
      return new Response("{}", { status: 202 });
    };
    const points = [...fleetPoints(fleet)];
    const first = points[0]?.timestamp ?? 0;
    const span = (points[points.length - 1]?.timestamp ?? 0) - first;
    const result = await streamPoints(points, {
      url: "http://test/metrics",
      speed: 60,
      tickMs: 250,
      fetch: fakeFetch,
      clock,
    });
    expect(result.sentPoints).toBe(points.length);
    // 3 simulated hours at 60× ≈ 3 real minutes.
    expect(result.elapsedMs).toBeGreaterThan(span / 60 - 1000);
    expect(result.elapsedMs).toBeLessThan(span / 60 + 1000);
    // No point goes out before its due time (minus the pacing tick), none much later.
    for (const post of posts) {
      for (const p of post.points) {
        const due = 1_000_000 + (p.timestamp - first) / 60;
        expect(post.at).toBeGreaterThanOrEqual(due - 250);
        expect(post.at).toBeLessThanOrEqual(due + 1500);
      }
    }
  });

  it("stops at maxSeconds of real time", async () => {
    const clock = virtualClock(0);
    const fakeFetch: typeof fetch = async () => new Response("{}", { status: 200 });
    const result = await streamPoints(fleetPoints(fleet), {
      url: "http://t/m",
      speed: 60,
      maxSeconds: 30,
      fetch: fakeFetch,
      clock,
    });
    expect(result.stoppedBy).toBe("max-seconds");
    // 30 s at 60× covers about 30 simulated minutes of a 4-host fleet.
    expect(result.sentPoints).toBeGreaterThan(4 * 25);
    expect(result.sentPoints).toBeLessThan(4 * 35);
  });

  it("end-now shift moves the last point to just before now, keeping the step grid", async () => {
    const now = Date.UTC(2026, 10, 24, 12, 0, 7);
    const shift = resolveShift(fleet, "end-now", now);
    expect(shift % (fleet.stepSeconds * 1000)).toBe(0);
    const lastNominal = fleet.startMs + (stepCount(fleet) - 1) * fleet.stepSeconds * 1000 + shift;
    expect(lastNominal).toBeLessThanOrEqual(now - fleet.jitterSeconds * 1000);
    expect(lastNominal).toBeGreaterThan(now - fleet.jitterSeconds * 1000 - fleet.stepSeconds * 1000);

    const sent: MetricPoint[] = [];
    const fakeFetch: typeof fetch = async (_url, init) => {
      sent.push(...BodySchema.parse(JSON.parse(String(init?.body))).points);
      return new Response("{}", { status: 200 });
    };
    const clock = { now: () => now, sleep: () => Promise.resolve() };
    const result = await streamFleet({
      fleet,
      url: "http://t/m",
      speed: 0,
      timeShift: "end-now",
      fetch: fakeFetch,
      clock,
    });
    expect(result.shiftMs).toBe(shift);
    expect(sent.map((p) => p.timestamp)).toEqual([...fleetPoints(fleet)].map((p) => p.timestamp + shift));
    expect(Math.max(...sent.map((p) => p.timestamp))).toBeLessThanOrEqual(now);
  });
});
