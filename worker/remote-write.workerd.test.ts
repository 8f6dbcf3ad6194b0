/**
 * POST /api/v1/write inside workerd with the real host objects: decoding, the host and metric mapping,
 * merging into points, the same validation as POST /metrics, and the protocol's answers. Bodies are
 * built with the generated schemas; prometheus/remote-write/live.test.ts sends a real Prometheus's.
 */
import { describe, expect, it } from "vitest";
import type { HistoryResponse } from "../contracts/rpc.ts";
import { remoteWriteBody, type Series, writeRequestBytes } from "./formats/testing/encode.ts";
import { call, json, type ErrorBody } from "./testing/http.ts";
import { TEST_KEYS } from "./testing/keys.ts";

const HEADERS = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
};

function write(
  body: Uint8Array,
  o: { key?: keyof typeof TEST_KEYS | null; headers?: Record<string, string>; query?: string } = {},
): Promise<Response> {
  return call(`/api/v1/write${o.query ?? ""}`, {
    method: "POST",
    body,
    headers: { ...HEADERS, ...o.headers },
    key: o.key,
  });
}

const s = (labels: Record<string, string>, ...samples: [number, number][]): Series => ({
  labels,
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
});

async function history(host: string): Promise<HistoryResponse> {
  const res = await call(`/hosts/${host}/history?from=0`);
  expect(res.status).toBe(200);
  return json<HistoryResponse>(res);
}

describe("POST /api/v1/write — happy", () => {
  it("merges one host's series at one timestamp into one point, scores it, answers 204", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    const t1 = t0 + 60_000;
    const inst = { instance: "rw-node-1:9100", job: "node" };
    const res = await write(
      remoteWriteBody([
        s({ __name__: "cpu_usage", ...inst }, [t0, 41.5], [t1, 42.5]),
        s({ __name__: "memory_usage", ...inst }, [t0, 63], [t1, 64]),
        s({ __name__: "network_latency", ...inst }, [t0, 12.5], [t1, 13.5]),
        s({ __name__: "error_rate", ...inst }, [t0, 0.01], [t1, 0.02]),
        s({ __name__: "node_load1", ...inst }, [t0, 0.7]),
      ]),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("x-samples-accepted")).toBe("9");
    expect(res.headers.get("x-samples-dropped")).toBe("0");
    const h = await history("rw-node-1");
    expect(h.points).toHaveLength(2);
    expect(h.points[0]).toMatchObject({
      timestamp: t0,
      cpu_usage: 41.5,
      memory_usage: 63,
      network_latency: 12.5,
      error_rate: 0.01,
      metrics: { node_load1: 0.7 },
    });
    expect(h.points[1]).toMatchObject({ timestamp: t1, cpu_usage: 42.5, error_rate: 0.02 });
    expect(h.predictions.length).toBeGreaterThan(0);
    const pred = await call("/hosts/rw-node-1/prediction");
    expect(pred.status).toBe(200);
  });

  it("takes the host from `host` over `instance`, strips ports, honours ?host_label=", async () => {
    const t = Date.now() - 60_000;
    expect(
      (
        await write(
          remoteWriteBody([
            s({ __name__: "cpu_usage", instance: "10.1.2.3:9100", host: "rw-named" }, [t, 10]),
            s({ __name__: "cpu_usage", instance: "[fd00::7]:9100" }, [t, 11]),
            s({ __name__: "cpu_usage", instance: "rw-plain" }, [t, 12]),
          ]),
        )
      ).status,
    ).toBe(204);
    expect((await history("rw-named")).points[0]).toMatchObject({ cpu_usage: 10 });
    expect((await history("rw-plain")).points[0]).toMatchObject({ cpu_usage: 12 });
    // A bracketed IPv6 instance loses brackets and port; "fd00::7" is a valid host name.
    expect((await history("fd00::7")).points[0]).toMatchObject({ cpu_usage: 11 });

    const res = await write(
      remoteWriteBody([s({ __name__: "cpu_usage", node: "rw-by-node", instance: "x:1" }, [t, 13])]),
      {
        query: "?host_label=node",
      },
    );
    expect(res.status).toBe(204);
    expect((await history("rw-by-node")).points[0]).toMatchObject({ cpu_usage: 13 });
  });

  it("drops and counts bad samples without failing the others; skips staleness markers", async () => {
    const t = Date.now() - 60_000;
    const stale = new Float64Array(new Uint32Array([0x00000002, 0x7ff00000]).buffer)[0]!;
    const res = await write(
      remoteWriteBody([
        s({ __name__: "cpu_usage", instance: "rw-bad-1:9100" }, [t, 150]),
        s({ __name__: "memory_usage", instance: "rw-bad-1:9100" }, [t, 55]),
        s({ __name__: "error_rate", instance: "rw-bad-1:9100" }, [t, Number.NaN]),
        s({ __name__: "network_latency", instance: "rw-bad-1:9100" }, [t + 1000, stale]),
        s({ __name__: "up", job: "no-host" }, [t, 1]),
        s({ __name__: "cpu_usage", instance: "rw-bad-1:9100" }, [Date.now() + 3_600_000, 5]),
        s({ __name__: "cpu_usage", instance: "rw-bad-1:9100" }, [Date.now() - 400 * 3_600_000, 5]),
      ]),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("x-samples-accepted")).toBe("1");
    expect(res.headers.get("x-samples-dropped")).toBe("5");
    const h = await history("rw-bad-1");
    expect(h.points).toHaveLength(1);
    expect(h.points[0]).toEqual(expect.objectContaining({ timestamp: t, memory_usage: 55 }));
    expect(h.points[0]).not.toHaveProperty("cpu_usage");
  });

  it("caps extra metrics at 64 per point, counting the rest", async () => {
    const t = Date.now() - 60_000;
    const series = Array.from({ length: 70 }, (_, i) =>
      s({ __name__: `extra_${i}`, instance: "rw-many" }, [t, i]),
    );
    const res = await write(
      remoteWriteBody([s({ __name__: "cpu_usage", instance: "rw-many" }, [t, 1]), ...series]),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("x-samples-dropped")).toBe("6");
    expect(Object.keys((await history("rw-many")).points[0]!.metrics ?? {})).toHaveLength(64);
  });
});

describe("POST /api/v1/write — errors", () => {
  const t = Date.now() - 60_000;
  const ok = () => remoteWriteBody([s({ __name__: "cpu_usage", instance: "rw-err" }, [t, 1])]);

  it("needs a write key", async () => {
    expect((await write(ok(), { key: null })).status).toBe(401);
    expect((await write(ok(), { key: "acmeRead" })).status).toBe(403);
  });

  it("415 for a wrong media type, a missing snappy encoding or Remote-Write 2.0", async () => {
    for (const headers of [
      { "content-type": "application/json" },
      { "content-encoding": "gzip" },
      { "x-prometheus-remote-write-version": "2.0.0" },
    ] as Record<string, string>[]) {
      const res = await write(ok(), { headers });
      expect(res.status).toBe(415);
      expect((await json<ErrorBody>(res)).error.code).toBe("unsupported_media_type");
    }
  });

  it("400 for a body that is not snappy, or snappy of something that is not a WriteRequest", async () => {
    const notSnappy = await write(new TextEncoder().encode("hello, this is not snappy at all"));
    expect(notSnappy.status).toBe(400);
    const { compress } = await import("snappyjs");
    // Field 1 (length-delimited) claiming 100 bytes that are not there.
    const res = await write(compress(new Uint8Array([0x0a, 100, 1, 2, 3])));
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.message).toMatch(/not a Remote-Write 1.0 request/);
  });

  it("413 for a decompression bomb, read from the preamble before inflating", async () => {
    // A preamble announcing 1 GiB followed by garbage: rejected without allocating anything.
    const liar = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04, 0, 0, 0]);
    const res = await write(liar);
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.message).toMatch(/decompressed body exceeds/);
    // A real snappy stream of 8 MiB (it compresses to ~380 KiB, under the 1 MiB sent cap).
    const { compress } = await import("snappyjs");
    const big = compress(writeRequestBytes([s({ __name__: "x".repeat(8 * 1024 * 1024), instance: "rw" })]));
    expect(big.byteLength).toBeLessThan(1024 * 1024);
    expect((await write(big)).status).toBe(413);
  });

  it("400 naming the reasons when every sample was dropped", async () => {
    const res = await write(
      remoteWriteBody([s({ __name__: "cpu_usage", instance: "rw-all-bad" }, [t, 101])]),
    );
    expect(res.status).toBe(400);
    const body = await json<ErrorBody>(res);
    expect(body.error.message).toMatch(/invalid cpu_usage/);
    expect((await call("/hosts/rw-all-bad/prediction")).status).toBe(404);
  });

  it("413 naming MAX_HOSTS_PER_REQUEST beyond 200 distinct hosts, nothing stored", async () => {
    const series = Array.from({ length: 201 }, (_, i) =>
      s({ __name__: "cpu_usage", instance: `rw-fan-${i}:9100` }, [t, 1]),
    );
    const res = await write(remoteWriteBody(series));
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.message).toMatch(/MAX_HOSTS_PER_REQUEST/);
    expect((await call("/hosts/rw-fan-0/prediction")).status).toBe(404);
  });

  it("413 beyond 1000 points per request", async () => {
    const now = Date.now() - 3_600_000;
    const series = [
      s(
        { __name__: "cpu_usage", instance: "rw-big" },
        ...Array.from({ length: 1001 }, (_, i): [number, number] => [now + i * 1000, 1]),
      ),
    ];
    expect((await write(remoteWriteBody(series))).status).toBe(413);
  });
});
