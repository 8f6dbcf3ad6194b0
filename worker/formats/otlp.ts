/**
 * OTLP/HTTP metrics → samples: an `ExportMetricsServiceRequest` (protobuf or OTLP JSON) walked into a
 * {@link PointBuilder}, and the OTLP answer (partial success) encoded back. Pure: no `cloudflare:*`.
 *
 * Host: the resource attribute `host.name`, else `service.instance.id`. Mapped names:
 * - `system.cpu.utilization` (0..1 per cpu and state) → `cpu_usage` = 100 × (1 − idle), averaged
 *   over cpus (a point without a state attribute is taken as the busy fraction itself);
 * - `system.memory.utilization` (0..1 per state) → `memory_usage` = 100 × the `used` state (or the
 *   value itself without a state attribute);
 * - `cpu_usage`, `memory_usage`, `network_latency`, `error_rate` as they are (gauges; non-monotonic
 *   or delta sums). A monotonic cumulative sum of one of them is a counter, not a level, and is
 *   rejected with that reason;
 * - any other gauge or sum becomes an extra metric of the host's point (its value as sent).
 * Histograms, exponential histograms and summaries are rejected (counted, with a message).
 */
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { METRICS } from "../../contracts/metrics.ts";
import { ApiError } from "../errors.ts";
import { truncate } from "../zod-messages.ts";
import {
  AggregationTemporality,
  ExportMetricsServiceRequestSchema,
  ExportMetricsServiceResponseSchema,
  type ExportMetricsServiceRequest,
  type KeyValue,
  type NumberDataPoint,
} from "./gen/opentelemetry/metrics_pb.ts";
import type { PointBuilder } from "./points.ts";

export type OtlpFormat = "protobuf" | "json";

const CPU_UTILIZATION = "system.cpu.utilization";
const MEMORY_UTILIZATION = "system.memory.utilization";
const CANONICAL: ReadonlySet<string> = new Set(METRICS);
/** NumberDataPoint flag: the point carries no value (the series ended). */
const FLAG_NO_RECORDED_VALUE = 1;

function malformed(format: OtlpFormat, decoderMessage: string): ApiError {
  // The decoder's message may quote the offending JSON value: quoted text is cut to 64 characters,
  // as the API's other messages echo client strings.
  const detail = decoderMessage.replace(/"([^"]{64})[^"]*"/g, '"$1…"').slice(0, 200);
  const message = `request body is not an OTLP ExportMetricsServiceRequest (${format}): ${detail}`;
  return new ApiError(format === "json" ? "invalid_json" : "invalid_field", message, {
    issues: [{ path: "(body)", message: detail }],
  });
}

export function decodeOtlp(bytes: Uint8Array, format: OtlpFormat): ExportMetricsServiceRequest {
  if (format === "protobuf") {
    try {
      return fromBinary(ExportMetricsServiceRequestSchema, bytes);
    } catch (e) {
      throw malformed(format, e instanceof Error ? e.message : "cannot decode");
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as unknown;
  } catch {
    throw malformed(format, "not UTF-8 JSON");
  }
  try {
    // Trimmed schema: the fields it leaves out (exemplars, scope, …) are ignored, not errors.
    return fromJson(ExportMetricsServiceRequestSchema, json as never, { ignoreUnknownFields: true });
  } catch (e) {
    throw malformed(format, e instanceof Error ? e.message : "cannot decode");
  }
}

/** The OTLP answer: empty on full success, `partialSuccess` when some data points were rejected. */
export function encodeResponse(
  rejected: number,
  message: string,
  format: OtlpFormat,
): { body: Uint8Array<ArrayBuffer> | string; contentType: string } {
  const msg = create(ExportMetricsServiceResponseSchema, {
    partialSuccess:
      rejected > 0 ? { rejectedDataPoints: BigInt(rejected), errorMessage: message } : undefined,
  });
  return format === "protobuf"
    ? {
        body: new Uint8Array(toBinary(ExportMetricsServiceResponseSchema, msg)),
        contentType: "application/x-protobuf",
      }
    : {
        body: JSON.stringify(toJson(ExportMetricsServiceResponseSchema, msg)),
        contentType: "application/json",
      };
}

function attr(attrs: readonly KeyValue[] | undefined, ...keys: string[]): string | undefined {
  if (!attrs) return undefined;
  for (const key of keys) {
    for (const kv of attrs) {
      if (kv.key !== key) continue;
      const v = kv.value?.value;
      if (v?.case === "stringValue") return v.value;
      if (v?.case === "intValue" || v?.case === "doubleValue" || v?.case === "boolValue")
        return String(v.value);
    }
  }
  return undefined;
}

function valueOf(dp: NumberDataPoint): number | undefined {
  const v = dp.value;
  if (v.case === "asDouble") return v.value;
  return v.case === "asInt" ? Number(v.value) : undefined;
}

/** Epoch ms of a data point, or null when it has no time. */
function timeMs(dp: NumberDataPoint): number | null {
  return dp.timeUnixNano > 0n ? Number(dp.timeUnixNano / 1_000_000n) : null;
}

/** Per (timestamp, cpu): idle fraction when reported, else the sum of the busy states. */
type CpuAcc = Map<number, Map<string, { idle?: number; busy: number }>>;

/** Adds every data point of `req` to `builder`; what cannot be used is dropped there, with its reason. */
export function mapOtlp(req: ExportMetricsServiceRequest, builder: PointBuilder): void {
  for (const rm of req.resourceMetrics) {
    const host =
      attr(rm.resource?.attributes, "host.name") ?? attr(rm.resource?.attributes, "service.instance.id");
    if (host === undefined || host === "") {
      let n = 0;
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.data.value?.dataPoints.length ?? 0;
      builder.drop("resource without host.name or service.instance.id", n);
      continue;
    }
    const cpu: CpuAcc = new Map();
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const d = m.data;
        if (d.case === "histogram" || d.case === "exponentialHistogram" || d.case === "summary") {
          builder.drop(`${d.case} metrics are not ingested`, d.value.dataPoints.length, truncate(m.name));
          continue;
        }
        if (d.case === undefined) continue;
        const counter =
          d.case === "sum" &&
          d.value.isMonotonic &&
          d.value.aggregationTemporality === AggregationTemporality.CUMULATIVE;
        for (const dp of d.value.dataPoints) {
          if ((dp.flags & FLAG_NO_RECORDED_VALUE) !== 0) continue;
          const ts = timeMs(dp);
          const value = valueOf(dp);
          if (ts === null) {
            builder.drop("data point without time_unix_nano", 1, truncate(m.name));
            continue;
          }
          if (value === undefined) {
            builder.drop("data point without a value", 1, truncate(m.name));
            continue;
          }
          if (m.name === CPU_UTILIZATION) {
            const state = attr(dp.attributes, "cpu.mode", "system.cpu.state", "state");
            const core = attr(dp.attributes, "cpu.logical_number", "system.cpu.logical_number", "cpu") ?? "";
            let byCore = cpu.get(ts);
            if (byCore === undefined) cpu.set(ts, (byCore = new Map()));
            const acc = byCore.get(core) ?? { busy: 0 };
            if (state === "idle") acc.idle = value;
            else acc.busy += value;
            byCore.set(core, acc);
          } else if (m.name === MEMORY_UTILIZATION) {
            const state = attr(dp.attributes, "system.memory.state", "state");
            if (state === undefined || state === "used") builder.add(host, ts, "memory_usage", value * 100);
          } else if (CANONICAL.has(m.name) && counter) {
            builder.drop(`${m.name} sent as a cumulative counter (send a gauge)`, 1, m.name);
          } else {
            builder.add(host, ts, m.name, value);
          }
        }
      }
    }
    for (const [ts, byCore] of cpu) {
      let sum = 0;
      for (const c of byCore.values()) sum += c.idle !== undefined ? 1 - c.idle : c.busy;
      builder.add(host, ts, "cpu_usage", (100 * sum) / byCore.size);
    }
  }
}
