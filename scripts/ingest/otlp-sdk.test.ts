/**
 * POST /v1/metrics with the real OpenTelemetry JS SDK (`@opentelemetry/sdk-metrics` 2.x and the OTLP
 * exporters `-proto` and `-http`, i.e. protobuf and JSON) exporting to the Worker under `wrangler dev`:
 * observable gauges with the semantic-convention names a host-metrics instrumentation reports
 * (`system.cpu.utilization` per cpu and mode, `system.memory.utilization` per state) and two of ours;
 * each exporter plain and gzip-compressed (configured through the SDK's own environment variables,
 * as the README tells users to). The host appears in GET /hosts and its stored point holds the values
 * the SDK observed, mapped. A bad value comes back as the SDK's "Partial Success" warning.
 */
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { OTLPMetricExporter as HttpJsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { HostsListingSchema } from "../../contracts/api.ts";
import { HistoryResponseSchema } from "../../contracts/rpc.ts";
import { startDevWorker, type DevWorker } from "./dev-worker.ts";

let worker: DevWorker;

beforeAll(async () => {
  worker = await startDevWorker();
}, 180_000);
afterAll(async () => {
  await worker?.stop();
}, 60_000);

async function get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  const r = await fetch(`${worker.url}${path}`, {
    headers: { authorization: `Bearer ${worker.key}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return schema.parse(await r.json());
}

/** Warnings the SDK logs through its diag API (where it reports partial success and export errors). */
const warnings: string[] = [];
const logger: DiagLogger = {
  error: (...a: unknown[]) => warnings.push(a.map(String).join(" ")),
  warn: (...a: unknown[]) => warnings.push(a.map(String).join(" ")),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};
diag.setLogger(logger, DiagLogLevel.WARN);

/**
 * Builds an exporter with the SDK's environment variables set as given (the exporters read
 * OTEL_EXPORTER_OTLP_* when constructed), then restores the environment.
 */
function withEnv<T>(vars: Record<string, string>, make: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return make();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

interface Observed {
  cpuIdle: [number, number];
  cpuUser: [number, number];
  memUsed: number;
  latencyMs: number;
  errorRate: number;
  cpuUsageDirect?: number;
}

/**
 * One export of one host's gauges through `exporter`; resolves after the SDK's export finished (the
 * SDK reports export failures through diag, collected in `warnings`).
 */
async function exportOnce(host: string, exporter: PushMetricExporter, o: Observed): Promise<void> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "host.name": host, "service.name": "otlp-sdk-test" }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const meter = provider.getMeter("edge-ingest-test", "1.0.0");
  meter.createObservableGauge("system.cpu.utilization", { unit: "1" }).addCallback((r) => {
    for (const cpu of [0, 1]) {
      r.observe(o.cpuIdle[cpu]!, { "cpu.logical_number": cpu, "cpu.mode": "idle" });
      r.observe(o.cpuUser[cpu]!, { "cpu.logical_number": cpu, "cpu.mode": "user" });
    }
  });
  meter.createObservableGauge("system.memory.utilization", { unit: "1" }).addCallback((r) => {
    r.observe(o.memUsed, { "system.memory.state": "used" });
    r.observe(1 - o.memUsed, { "system.memory.state": "free" });
  });
  meter.createObservableGauge("network_latency", { unit: "ms" }).addCallback((r) => r.observe(o.latencyMs));
  meter.createObservableGauge("error_rate", { unit: "1" }).addCallback((r) => r.observe(o.errorRate));
  if (o.cpuUsageDirect !== undefined) {
    const v = o.cpuUsageDirect;
    meter.createObservableGauge("cpu_usage", { unit: "%" }).addCallback((r) => r.observe(v));
  }
  // Shutting down collects and exports once (a forceFlush before it would export a second point).
  await provider.shutdown();
}

const CASES: {
  name: string;
  host: string;
  env: Record<string, string>;
  make: (url: string, key: string) => PushMetricExporter;
}[] = [
  {
    name: "protobuf",
    host: "otel-proto",
    env: {},
    make: (url: string, key: string) =>
      new ProtoExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    name: "protobuf + gzip",
    host: "otel-proto-gz",
    env: { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" },
    make: (url: string, key: string) =>
      new ProtoExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    name: "JSON",
    host: "otel-json",
    env: {},
    make: (url: string, key: string) =>
      new HttpJsonExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    name: "JSON + gzip",
    host: "otel-json-gz",
    env: { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" },
    make: (url: string, key: string) =>
      new HttpJsonExporter({ url, headers: { Authorization: `Bearer ${key}` } }),
  },
  {
    // Configured only by the environment variables the README gives (endpoint, key, compression).
    name: "protobuf configured by OTEL_EXPORTER_OTLP_* variables",
    host: "otel-env",
    env: {},
    make: (url: string, key: string) =>
      withEnv(
        {
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: url,
          OTEL_EXPORTER_OTLP_METRICS_HEADERS: `Authorization=Bearer%20${key}`,
          OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
        },
        () => new ProtoExporter(),
      ),
  },
];

describe("OTLP/HTTP from the real OpenTelemetry JS SDK to the Worker under wrangler dev", () => {
  for (const c of CASES) {
    it(`${c.name}: the host appears in GET /hosts with the mapped values`, async () => {
      const before = warnings.length;
      const o: Observed = {
        cpuIdle: [0.6, 0.8],
        cpuUser: [0.3, 0.15],
        memUsed: 0.7125,
        latencyMs: 87.5,
        errorRate: 0.0125,
      };
      const exporter = withEnv(c.env, () => c.make(`${worker.url}/v1/metrics`, worker.key));
      await exportOnce(c.host, exporter, o);
      expect(warnings.slice(before)).toEqual([]);

      const h = await get(`/hosts/${c.host}/history?from=0`, HistoryResponseSchema);
      expect(h.points).toHaveLength(1);
      const p = h.points[0]!;
      expect(p.cpu_usage).toBeCloseTo(100 * (1 - (0.6 + 0.8) / 2), 9); // 30 %
      expect(p.memory_usage).toBeCloseTo(71.25, 9);
      expect(p.network_latency).toBe(87.5);
      expect(p.error_rate).toBe(0.0125);
      expect(Math.abs(p.timestamp - Date.now())).toBeLessThan(120_000);
      expect(h.predictions.length).toBe(1);

      // The index is written in the background (waitUntil): poll briefly, bounded.
      let listed = false;
      for (let i = 0; i < 40 && !listed; i++) {
        listed = (await get("/hosts", HostsListingSchema)).hosts.some((x) => x.host === c.host);
        if (!listed) await new Promise((r) => setTimeout(r, 250));
      }
      expect(listed).toBe(true);
    }, 60_000);
  }

  it("a value out of range is a partial success the SDK reports; the rest of the point is stored", async () => {
    const before = warnings.length;
    const exporter = new ProtoExporter({
      url: `${worker.url}/v1/metrics`,
      headers: { Authorization: `Bearer ${worker.key}` },
    });
    const o: Observed = {
      cpuIdle: [0.5, 0.5],
      cpuUser: [0.5, 0.5],
      memUsed: 0.5,
      latencyMs: 10,
      errorRate: 1.5,
    };
    await exportOnce("otel-partial", exporter, o);
    const logged = warnings.slice(before).join("\n");
    expect(logged).toMatch(/Partial Success/);
    expect(logged).toMatch(/rejectedDataPoints/);
    expect(logged).toMatch(/invalid error_rate/);
    const h = await get("/hosts/otel-partial/history?from=0", HistoryResponseSchema);
    expect(h.points).toHaveLength(1);
    expect(h.points[0]).toMatchObject({ cpu_usage: 50, memory_usage: 50, network_latency: 10 });
    expect(h.points[0]).not.toHaveProperty("error_rate");
  }, 60_000);

  it("a wrong key is an export error, and nothing is stored", async () => {
    const before = warnings.length;
    const exporter = new ProtoExporter({
      url: `${worker.url}/v1/metrics`,
      headers: { Authorization: "Bearer wrong" },
    });
    const o: Observed = {
      cpuIdle: [0.5, 0.5],
      cpuUser: [0.5, 0.5],
      memUsed: 0.5,
      latencyMs: 10,
      errorRate: 0,
    };
    await exportOnce("otel-wrong-key", exporter, o).catch((e: unknown) => warnings.push(String(e)));
    expect(warnings.slice(before).join("\n")).toMatch(/401|Unauthorized|export failed/i);
    const r = await fetch(`${worker.url}/hosts/otel-wrong-key/prediction`, {
      headers: { authorization: `Bearer ${worker.key}` },
    });
    expect(r.status).toBe(404);
  }, 60_000);
});
