/**
 * POST /v1/metrics (OTLP/HTTP) inside workerd with the real host objects: protobuf and JSON, gzip,
 * the semantic-convention mapping, partial success for bad data, and 400/413/415 for bad bodies.
 * Bodies are built with the generated schemas; worker/formats/otlp-sdk.test.ts exports with the real SDK.
 */
import { fromBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { HistoryResponse } from "../contracts/rpc.ts";
import {
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
} from "./formats/gen/opentelemetry/metrics_pb.ts";
import { otlpProtobuf, otlpRequest, type OtlpMetric } from "./formats/testing/encode.ts";
import { call, json, type ErrorBody } from "./testing/http.ts";
import { TEST_KEYS } from "./testing/keys.ts";

function post(
  body: Uint8Array | string,
  headers: Record<string, string>,
  key: keyof typeof TEST_KEYS | null = "acme",
): Promise<Response> {
  return call("/v1/metrics", { method: "POST", body, headers, key });
}

const PROTO = { "content-type": "application/x-protobuf" };
const JSONH = { "content-type": "application/json" };

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function history(host: string): Promise<HistoryResponse> {
  const res = await call(`/hosts/${host}/history?from=0`);
  expect(res.status).toBe(200);
  return json<HistoryResponse>(res);
}

function fleet(host: string, t: number): OtlpMetric[] {
  return [
    {
      name: "system.cpu.utilization",
      kind: "gauge",
      points: [
        { value: 0.7, timeMs: t, attributes: { "cpu.logical_number": 0, "cpu.mode": "idle" } },
        { value: 0.2, timeMs: t, attributes: { "cpu.logical_number": 0, "cpu.mode": "user" } },
        { value: 0.5, timeMs: t, attributes: { "cpu.logical_number": 1, "cpu.mode": "idle" } },
      ],
    },
    {
      name: "system.memory.utilization",
      kind: "gauge",
      points: [
        { value: 0.625, timeMs: t, attributes: { "system.memory.state": "used" } },
        { value: 0.375, timeMs: t, attributes: { "system.memory.state": "free" } },
      ],
    },
    { name: "network_latency", kind: "gauge", points: [{ value: 42, timeMs: t }] },
    { name: "error_rate", kind: "sum", points: [{ value: 0.03, timeMs: t }] },
    { name: "queue.depth", kind: "gauge", points: [{ value: 17, timeMs: t }] },
    { name: `${host}.requests`, kind: "cumulative-counter", points: [{ value: 1234, timeMs: t }] },
  ];
}

const expected = (t: number) => ({
  timestamp: t,
  cpu_usage: 40, // mean over cpus of 1 − idle: (0.3 + 0.5) / 2
  memory_usage: 62.5,
  network_latency: 42,
  error_rate: 0.03,
});

describe("POST /v1/metrics — happy", () => {
  it("protobuf: maps the semantic conventions, answers an empty ExportMetricsServiceResponse", async () => {
    const t = Date.now() - 60_000;
    const req = otlpRequest([{ attributes: { "host.name": "otlp-pb-1" }, metrics: fleet("svc", t) }]);
    const res = await post(otlpProtobuf(req), PROTO);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    const answer = fromBinary(ExportMetricsServiceResponseSchema, new Uint8Array(await res.arrayBuffer()));
    expect(answer.partialSuccess).toBeUndefined();
    const h = await history("otlp-pb-1");
    expect(h.points).toHaveLength(1);
    expect(h.points[0]).toMatchObject({
      ...expected(t),
      metrics: { "queue.depth": 17, "svc.requests": 1234 },
    });
    expect(h.points[0]!.cpu_usage).toBeCloseTo(40, 9);
    expect(h.predictions.length).toBeGreaterThan(0);
  });

  it("JSON (OTLP JSON encoding), plain and gzip; host from service.instance.id when host.name is absent", async () => {
    const t = Date.now() - 60_000;
    for (const [host, zip] of [
      ["otlp-json-1", false],
      ["otlp-json-gz", true],
    ] as const) {
      const req = otlpRequest([{ attributes: { "service.instance.id": host }, metrics: fleet("svc", t) }]);
      const text = JSON.stringify(toJson(ExportMetricsServiceRequestSchema, req));
      const body = zip ? await gzip(new TextEncoder().encode(text)) : text;
      const res = await post(body, zip ? { ...JSONH, "content-encoding": "gzip" } : JSONH);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({});
      expect((await history(host)).points[0]).toMatchObject(expected(t));
    }
  });

  it("accepts the OTLP JSON spellings exporters use: enum numbers, int64 as strings, unknown fields", async () => {
    const t = BigInt(Date.now() - 60_000) * 1_000_000n;
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "host.name", value: { stringValue: "otlp-json-raw" } }] },
          scopeMetrics: [
            {
              scope: { name: "my-meter", version: "1.0.0" },
              metrics: [
                {
                  name: "cpu_usage",
                  unit: "%",
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: false,
                    dataPoints: [
                      { timeUnixNano: String(t), startTimeUnixNano: "0", asInt: "55", exemplars: [] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(JSON.stringify(body), JSONH);
    expect(res.status).toBe(200);
    expect((await history("otlp-json-raw")).points[0]).toMatchObject({ cpu_usage: 55 });
  });
});

describe("POST /v1/metrics — bad data is a partial success, never a 5xx", () => {
  it("rejects out-of-range values, histograms, counters of a level metric and hostless resources, keeps the rest", async () => {
    const t = Date.now() - 60_000;
    const req = otlpRequest([
      {
        attributes: { "host.name": "otlp-partial" },
        metrics: [
          { name: "cpu_usage", kind: "gauge", points: [{ value: 150, timeMs: t }] },
          { name: "memory_usage", kind: "gauge", points: [{ value: 50, timeMs: t }] },
          { name: "error_rate", kind: "cumulative-counter", points: [{ value: 3, timeMs: t }] },
          {
            name: "http.server.duration",
            kind: "histogram",
            points: [
              { value: 0, timeMs: t },
              { value: 0, timeMs: t },
            ],
          },
          { name: "network_latency", kind: "gauge", points: [{ value: 5, timeMs: Date.now() + 3_600_000 }] },
        ],
      },
      {
        attributes: { "service.name": "nameless" },
        metrics: [{ name: "cpu_usage", kind: "gauge", points: [{ value: 1, timeMs: t }] }],
      },
    ]);
    for (const [headers, decode] of [
      [
        PROTO,
        async (r: Response) =>
          fromBinary(ExportMetricsServiceResponseSchema, new Uint8Array(await r.arrayBuffer()))
            .partialSuccess,
      ],
      [
        JSONH,
        async (r: Response) =>
          ((await r.json()) as { partialSuccess?: { rejectedDataPoints: string; errorMessage: string } })
            .partialSuccess,
      ],
    ] as const) {
      const body =
        headers === PROTO
          ? otlpProtobuf(req)
          : JSON.stringify(toJson(ExportMetricsServiceRequestSchema, req));
      const res = await post(body, headers);
      expect(res.status).toBe(200);
      const partial = await decode(res);
      expect(Number(partial?.rejectedDataPoints)).toBe(6);
      expect(partial?.errorMessage).toMatch(/invalid cpu_usage/);
      expect(partial?.errorMessage).toMatch(/histogram metrics are not ingested/);
      expect(partial?.errorMessage).toMatch(/error_rate sent as a cumulative counter/);
      expect(partial?.errorMessage).toMatch(/resource without host.name/);
      expect(partial?.errorMessage).toMatch(/timestamp in the future/);
    }
    const h = await history("otlp-partial");
    expect(h.points).toHaveLength(1); // the second request's point is a duplicate
    expect(h.points[0]).toEqual(expect.objectContaining({ timestamp: t, memory_usage: 50 }));
    expect(h.points[0]).not.toHaveProperty("cpu_usage");
  });
});

describe("POST /v1/metrics — bad bodies", () => {
  it("needs a write key", async () => {
    const body = otlpProtobuf(otlpRequest([]));
    expect((await post(body, PROTO, null)).status).toBe(401);
    expect((await post(body, PROTO, "acmeRead")).status).toBe(403);
  });

  it("400 for malformed protobuf and for malformed or mistyped JSON", async () => {
    const bad = await post(new Uint8Array([0x0a, 0x7f, 0x01]), PROTO);
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.message).toMatch(/not an OTLP ExportMetricsServiceRequest/);
    expect((await post("{not json", JSONH)).status).toBe(400);
    expect((await post(JSON.stringify({ resourceMetrics: "nope" }), JSONH)).status).toBe(400);
    expect((await post(new Uint8Array([1, 2, 3]), { ...PROTO, "content-encoding": "gzip" })).status).toBe(
      400,
    );
  });

  it("413 for a gzip bomb (inflation stops at the cap) and for a body over 1 MiB", async () => {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bomb = await gzip(zeros);
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    const res = await post(bomb, { ...PROTO, "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.message).toMatch(/decompressed body exceeds/);
    expect((await post(new Uint8Array(1024 * 1024 + 1), PROTO)).status).toBe(413);
  });

  it("415 for another media type or encoding", async () => {
    const body = otlpProtobuf(otlpRequest([]));
    expect((await post(body, { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(body, { ...PROTO, "content-encoding": "br" })).status).toBe(415);
  });
});
