/**
 * Test-side encoders: Remote-Write 1.0 and OTLP bodies built with the same generated schemas the
 * Worker decodes with (for workerd tests of bad bodies; the live tests use real Prometheus and the
 * real OpenTelemetry SDK instead). Runs in workerd and in Node.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { compress } from "snappyjs";
import {
  ExportMetricsServiceRequestSchema,
  type ExportMetricsServiceRequest,
} from "../gen/opentelemetry/metrics_pb.ts";
import { WriteRequestSchema } from "../gen/prometheus/remote_pb.ts";

export interface Series {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

/** Uncompressed protobuf `WriteRequest` bytes. */
export function writeRequestBytes(series: readonly Series[]): Uint8Array {
  const msg = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => ({ value: x.value, timestamp: BigInt(x.timestamp) })),
    })),
  });
  return toBinary(WriteRequestSchema, msg);
}

/** A Remote-Write 1.0 body: snappy (block format) of the protobuf. */
export function remoteWriteBody(series: readonly Series[]): Uint8Array {
  return compress(writeRequestBytes(series));
}

export type Attr = Record<string, string | number>;
export interface OtlpMetric {
  name: string;
  kind: "gauge" | "sum" | "cumulative-counter" | "histogram";
  points: { value: number; timeMs: number; attributes?: Attr }[];
}

function kvs(a: Attr | undefined) {
  return Object.entries(a ?? {}).map(([key, v]) => ({
    key,
    value: {
      value:
        typeof v === "string"
          ? { case: "stringValue" as const, value: v }
          : { case: "doubleValue" as const, value: v },
    },
  }));
}

/** An `ExportMetricsServiceRequest` with one resource per entry. */
export function otlpRequest(
  resources: readonly { attributes: Attr; metrics: readonly OtlpMetric[] }[],
): ExportMetricsServiceRequest {
  return create(ExportMetricsServiceRequestSchema, {
    resourceMetrics: resources.map((r) => ({
      resource: { attributes: kvs(r.attributes) },
      scopeMetrics: [
        {
          metrics: r.metrics.map((m) => {
            const dataPoints = m.points.map((p) => ({
              attributes: kvs(p.attributes),
              timeUnixNano: BigInt(p.timeMs) * 1_000_000n,
              value: { case: "asDouble" as const, value: p.value },
            }));
            const data =
              m.kind === "gauge"
                ? { case: "gauge" as const, value: { dataPoints } }
                : m.kind === "histogram"
                  ? { case: "histogram" as const, value: { dataPoints: dataPoints.map(() => ({})) } }
                  : {
                      case: "sum" as const,
                      value: {
                        dataPoints,
                        isMonotonic: m.kind === "cumulative-counter",
                        aggregationTemporality: m.kind === "cumulative-counter" ? 2 : 1,
                      },
                    };
            return { name: m.name, data };
          }),
        },
      ],
    })),
  });
}

export function otlpProtobuf(req: ExportMetricsServiceRequest): Uint8Array {
  return toBinary(ExportMetricsServiceRequestSchema, req);
}
