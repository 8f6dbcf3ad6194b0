/**
 * The same points in each way in: our JSON batch, a Remote-Write 1.0 request as Prometheus builds it
 * (one TimeSeries entry per sample, each with its labels: `__name__`, `instance`, `job`), and an OTLP
 * request as a Collector's batch processor would send it (one resource per host, one gauge per metric
 * holding that host's data points), in protobuf and in OTLP JSON.
 */
import { toJson } from "@bufbuild/protobuf";
import { METRICS } from "../../../contracts/metrics.ts";
import { ExportMetricsServiceRequestSchema } from "../../../worker/formats/gen/opentelemetry/metrics_pb.ts";
import {
  otlpProtobuf,
  otlpRequest,
  remoteWriteBody,
  type OtlpMetric,
  type Series,
} from "../../../worker/formats/testing/encode.ts";
import type { MetricPoint } from "../../../simulator/types.ts";

export const WAYS = ["json", "remote_write", "otlp_protobuf", "otlp_json"] as const;
export type Way = (typeof WAYS)[number];

export const ROUTE: Record<Way, string> = {
  json: "/metrics",
  remote_write: "/api/v1/write",
  otlp_protobuf: "/v1/metrics",
  otlp_json: "/v1/metrics",
};

export const HEADERS: Record<Way, Record<string, string>> = {
  json: { "content-type": "application/json" },
  remote_write: {
    "content-type": "application/x-protobuf",
    "content-encoding": "snappy",
    "x-prometheus-remote-write-version": "0.1.0",
  },
  otlp_protobuf: { "content-type": "application/x-protobuf" },
  otlp_json: { "content-type": "application/json" },
};

function byHost(points: readonly MetricPoint[]): Map<string, MetricPoint[]> {
  const m = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const l = m.get(p.host);
    if (l) l.push(p);
    else m.set(p.host, [p]);
  }
  return m;
}

/** The request body of `points` in `way`. */
export function body(way: Way, points: readonly MetricPoint[]): Uint8Array | string {
  switch (way) {
    case "json":
      return JSON.stringify({ points });
    case "remote_write": {
      const series: Series[] = [];
      for (const p of points) {
        for (const m of METRICS) {
          series.push({
            labels: { __name__: m, instance: `${p.host}:9100`, job: "node" },
            samples: [{ value: p[m], timestamp: p.timestamp }],
          });
        }
      }
      return remoteWriteBody(series);
    }
    case "otlp_protobuf":
    case "otlp_json": {
      const req = otlpRequest(
        [...byHost(points)].map(([host, pts]) => ({
          attributes: { "host.name": host, "service.name": "bench" },
          metrics: METRICS.map((m): OtlpMetric => ({
            name: m,
            kind: "gauge",
            points: pts.map((p) => ({ value: p[m], timeMs: p.timestamp })),
          })),
        })),
      );
      return way === "otlp_protobuf"
        ? otlpProtobuf(req)
        : JSON.stringify(toJson(ExportMetricsServiceRequestSchema, req));
    }
  }
}

/** Bytes of a body as sent. */
export function size(b: Uint8Array | string): number {
  return typeof b === "string" ? Buffer.byteLength(b) : b.byteLength;
}
