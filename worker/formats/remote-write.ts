/**
 * Prometheus Remote-Write 1.0 → samples: snappy (block format) + protobuf `WriteRequest`, then each
 * series' samples added to a {@link PointBuilder}. Pure: no `cloudflare:*`, no `node:*`.
 *
 * Host: the `host` label when present, else the configured label (default `instance`) with its port
 * stripped (`10.0.0.7:9100` → `10.0.0.7`, `[::1]:9100` → `::1`). The metric name is `__name__`.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { uncompress } from "snappyjs";
import { ApiError } from "../errors.ts";
import { WriteRequestSchema, type WriteRequest } from "./gen/prometheus/remote_pb.ts";
import { tooLarge } from "./body.ts";
import type { PointBuilder } from "./points.ts";

export const DEFAULT_HOST_LABEL = "instance";

function malformed(message: string): ApiError {
  return new ApiError("invalid_field", `request body is not a Remote-Write 1.0 request: ${message}`, {
    issues: [{ path: "(body)", message }],
  });
}

/**
 * The uncompressed length a snappy block announces in its preamble (a little-endian base-128 varint
 * of at most 32 bits), read before anything is allocated; null when the preamble is malformed.
 */
export function snappyLength(bytes: Uint8Array): number | null {
  let result = 0;
  for (let i = 0, shift = 0; i < 5 && i < bytes.length; i++, shift += 7) {
    const b = bytes[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result <= 0xffffffff ? result : null;
  }
  return null;
}

/** Decompresses and decodes a `WriteRequest`; 413 when it would inflate past `maxDecoded`, else 400. */
export function decodeWriteRequest(compressed: Uint8Array, maxDecoded: number): WriteRequest {
  const length = snappyLength(compressed);
  if (length === null) throw malformed("snappy preamble is malformed");
  if (length > maxDecoded) throw tooLarge("decompressed body", maxDecoded);
  let raw: Uint8Array;
  try {
    raw = uncompress(compressed, maxDecoded);
  } catch {
    throw malformed("not valid snappy (block format)");
  }
  try {
    return fromBinary(WriteRequestSchema, raw);
  } catch (e) {
    throw malformed(`protobuf: ${e instanceof Error ? e.message.slice(0, 120) : "cannot decode"}`);
  }
}

/** `instance` values are `host:port`; a bracketed IPv6 address loses its brackets too. */
export function stripPort(instance: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1]!;
  const i = instance.lastIndexOf(":");
  // Only one colon and digits after it: a port. A bare IPv6 address (several colons) stays whole.
  if (i > 0 && instance.indexOf(":") === i && /^\d+$/.test(instance.slice(i + 1)))
    return instance.slice(0, i);
  return instance;
}

// Prometheus' staleness marker: a NaN with this exact bit pattern, sent when a series disappears.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function isStaleMarker(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  f64[0] = v;
  // Little-endian word order (every platform workerd and Node run on). The marker is a signalling
  // NaN, and V8 may set its quiet bit (0x0008_0000 of the high word) on the way through a double:
  // the low word 2 is what tells it from an ordinary NaN (Go's math.NaN() has low word 1).
  return (u32[1]! & 0xfff7ffff) === 0x7ff00000 && u32[0] === 0x00000002;
}

/** Adds every sample of `req` to `builder`; series without a name or host are dropped and counted. */
export function mapWriteRequest(
  req: WriteRequest,
  builder: PointBuilder,
  hostLabel = DEFAULT_HOST_LABEL,
): void {
  for (const ts of req.timeseries) {
    let name: string | undefined;
    let hostValue: string | undefined;
    let fallback: string | undefined;
    for (const l of ts.labels) {
      if (l.name === "__name__") name = l.value;
      else if (l.name === "host") hostValue = l.value;
      else if (l.name === hostLabel) fallback = l.value;
    }
    const n = ts.samples.length;
    if (name === undefined || name === "") {
      builder.drop("series without __name__", n);
      continue;
    }
    const host =
      hostValue !== undefined && hostValue !== "" ? hostValue : fallback ? stripPort(fallback) : "";
    if (host === "") {
      builder.drop(`series without a host or ${hostLabel} label`, n, name);
      continue;
    }
    for (const s of ts.samples) {
      // A staleness marker says "this series ended", not a value: skipped, not counted as dropped.
      if (!isStaleMarker(s.value)) builder.add(host, Number(s.timestamp), name, s.value);
    }
  }
}
