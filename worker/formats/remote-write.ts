/**
 * Prometheus Remote-Write 1.0 → samples: snappy (block format) + protobuf `WriteRequest`, then each
 * series' samples added to a {@link PointBuilder}. Pure: no `cloudflare:*`, no `node:*`.
 *
 * Host: the `host` label when present, else the configured label (default `instance`) with its port
 * stripped (`10.0.0.7:9100` → `10.0.0.7`, `[::1]:9100` → `::1`). The metric name is `__name__`.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { uncompress } from "snappyjs";
import { ApiError } from "../errors.ts";
import { truncate } from "../zod-messages.ts";
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

/** Decompresses a Remote-Write body; 413 when it would inflate past `maxDecoded`, else 400. */
export function uncompressBody(compressed: Uint8Array, maxDecoded: number): Uint8Array {
  const length = snappyLength(compressed);
  if (length === null) throw malformed("snappy preamble is malformed");
  if (length > maxDecoded) throw tooLarge("decompressed body", maxDecoded);
  try {
    return uncompress(compressed, maxDecoded);
  } catch {
    throw malformed("not valid snappy (block format)");
  }
}

/** The parts of a `WriteRequest` the mapping reads (the generated `WriteRequest` has this shape). */
export interface WriteRequestData {
  timeseries: {
    labels: { name: string; value: string }[];
    samples: { value: number; timestamp: bigint }[];
  }[];
}

/**
 * Decodes a `WriteRequest` and adds its samples to `builder` in one pass, with @bufbuild/protobuf's
 * BinaryReader and the field numbers of gen/prometheus/remote_pb.ts (WriteRequest.timeseries = 1;
 * TimeSeries.labels = 1, samples = 2; Label.name = 1, value = 2; Sample.value = 1, timestamp = 2).
 * Same result as `mapWriteRequest(fromBinary(WriteRequestSchema, bytes))` (remote-write.test.ts checks
 * it on generated requests) at a fraction of the cost: Prometheus sends one TimeSeries, with all its
 * labels, per sample, and building those objects (and strings for labels nobody reads) cost ~20 µs per
 * point in allocation and GC. Only the three labels the mapping reads are decoded to strings; the
 * others are skipped as bytes. Unknown fields are skipped; a truncated message throws a 400.
 */
export function mapWriteRequestBytes(
  bytes: Uint8Array,
  builder: PointBuilder,
  hostLabel = DEFAULT_HOST_LABEL,
): void {
  const wanted = [NAME_BYTES, HOST_BYTES, new TextEncoder().encode(hostLabel)] as const;
  const r = new BinaryReader(bytes);
  const samples = new SampleBuffer();
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no !== 1 || wt !== WireType.LengthDelimited) {
        r.skip(wt, no);
        continue;
      }
      const stop = end(r);
      const found: (string | undefined)[] = [undefined, undefined, undefined];
      samples.clear();
      while (r.pos < stop) {
        const [f, w] = r.tag();
        if (f === 1 && w === WireType.LengthDelimited) readLabel(r, end(r), wanted, found);
        else if (f === 2 && w === WireType.LengthDelimited) readSample(r, end(r), samples);
        else r.skip(w, f);
      }
      if (r.pos !== stop) throw new Error("a field runs past the end of its series");
      addSeries(
        builder,
        found[0],
        found[1],
        found[2],
        hostLabel,
        samples.values.subarray(0, samples.n),
        samples.times.subarray(0, samples.n),
      );
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw malformed(`protobuf: ${e instanceof Error ? e.message.slice(0, 120) : "cannot decode"}`);
  }
}

const NAME_BYTES = new TextEncoder().encode("__name__");
const HOST_BYTES = new TextEncoder().encode("host");
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One Label: its value decoded only when its name is one of `wanted` (found[i] for wanted[i]). */
function readLabel(
  r: BinaryReader,
  stop: number,
  wanted: readonly Uint8Array[],
  found: (string | undefined)[],
): void {
  let name: Uint8Array | undefined;
  let value: Uint8Array | undefined;
  while (r.pos < stop) {
    const [n, w] = r.tag();
    if (n === 1 && w === WireType.LengthDelimited) name = r.bytes();
    else if (n === 2 && w === WireType.LengthDelimited) value = r.bytes();
    else r.skip(w, n);
  }
  if (name === undefined) return;
  for (let i = 0; i < wanted.length; i++) {
    if (sameBytes(name, wanted[i]!)) found[i] = value === undefined ? "" : utf8.decode(value);
  }
}

/** Samples of one series, in reused typed arrays (no allocation per sample). */
class SampleBuffer {
  values = new Float64Array(16);
  times = new Float64Array(16);
  n = 0;
  clear(): void {
    this.n = 0;
  }
  push(value: number, timestampMs: number): void {
    if (this.n === this.values.length) {
      const v = new Float64Array(this.n * 2);
      const t = new Float64Array(this.n * 2);
      v.set(this.values);
      t.set(this.times);
      this.values = v;
      this.times = t;
    }
    this.values[this.n] = value;
    this.times[this.n] = timestampMs;
    this.n++;
  }
}

function readSample(r: BinaryReader, stop: number, out: SampleBuffer): void {
  let value = 0;
  let timestamp = 0;
  while (r.pos < stop) {
    const [n, w] = r.tag();
    if (n === 1 && w === WireType.Bit64) value = r.double();
    else if (n === 2 && w === WireType.Varint) timestamp = Number(r.int64());
    else r.skip(w, n);
  }
  out.push(value, timestamp);
}

/** End offset of the length-delimited message that starts at the reader's position. */
function end(r: BinaryReader): number {
  const len = r.uint32();
  const e = r.pos + len;
  if (e > r.len) throw new Error("premature end of message");
  return e;
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

/**
 * Adds every sample of a decoded `WriteRequest` (the generated message, or anything of its shape) to
 * `builder`: the reference the one-pass {@link mapWriteRequestBytes} is tested against.
 */
export function mapWriteRequest(
  req: WriteRequestData,
  builder: PointBuilder,
  hostLabel = DEFAULT_HOST_LABEL,
): void {
  for (const ts of req.timeseries) {
    let name: string | undefined;
    let hostValue: string | undefined;
    let fallback: string | undefined;
    for (const l of ts.labels) {
      if (l.name === "__name__") name = l.value;
      if (l.name === "host") hostValue = l.value;
      if (l.name === hostLabel) fallback = l.value;
    }
    addSeries(
      builder,
      name,
      hostValue,
      fallback,
      hostLabel,
      Float64Array.from(ts.samples, (x) => x.value),
      Float64Array.from(ts.samples, (x) => Number(x.timestamp)),
    );
  }
}

/** One series' samples into `builder`; a series without a name or host is dropped and counted. */
function addSeries(
  builder: PointBuilder,
  name: string | undefined,
  hostValue: string | undefined,
  fallback: string | undefined,
  hostLabel: string,
  values: Float64Array,
  times: Float64Array,
): void {
  const n = values.length;
  if (name === undefined || name === "") {
    builder.drop("series without __name__", n);
    return;
  }
  const host = hostValue !== undefined && hostValue !== "" ? hostValue : fallback ? stripPort(fallback) : "";
  if (host === "") {
    builder.drop(`series without a host or ${hostLabel} label`, n, truncate(name));
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // A staleness marker says "this series ended", not a value: skipped, not counted as dropped.
    if (!isStaleMarker(v)) builder.add(host, times[i]!, name, v);
  }
}
