/**
 * The one-pass Remote-Write decoder against the reference: for generated requests (random label sets
 * in random order, extra labels, several samples per series, staleness markers, missing names and
 * hosts), `mapWriteRequestBytes(bytes)` builds exactly the points and drop counts that
 * `mapWriteRequest(fromBinary(WriteRequestSchema, bytes))` builds. Plus the pure helpers.
 */
import { fromBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WriteRequestSchema } from "./gen/prometheus/remote_pb.ts";
import { PointBuilder } from "./points.ts";
import { mapWriteRequest, mapWriteRequestBytes, snappyLength, stripPort } from "./remote-write.ts";
import { writeRequestBytes, type Series } from "./testing/encode.ts";

const NOW = Date.now();
const STALE = new Float64Array(new Uint32Array([0x00000002, 0x7ff00000]).buffer)[0]!;

const series: fc.Arbitrary<Series> = fc.record({
  labels: fc
    .record(
      {
        __name__: fc.constantFrom("cpu_usage", "memory_usage", "error_rate", "node_load1", "up", ""),
        instance: fc.constantFrom("a:9100", "b:9100", "[fd00::1]:9100", "c", ""),
        host: fc.constantFrom("h-1", "h-2", ""),
        job: fc.constantFrom("node", "app"),
        zone: fc.string({ maxLength: 8 }),
      },
      { requiredKeys: [] },
    )
    .map((l) => Object.fromEntries(Object.entries(l)) as Record<string, string>),
  samples: fc.array(
    fc.record({
      value: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(STALE), fc.constant(150)),
      timestamp: fc.integer({ min: 0, max: 5 }).map((i) => NOW - 60_000 * (i + 1)),
    }),
    { maxLength: 4 },
  ),
});

function run(map: (b: PointBuilder) => void) {
  const b = new PointBuilder();
  map(b);
  const { byHost, receipt } = b.finish(NOW, 168);
  return { byHost: [...byHost], receipt };
}

describe("remote_write decoding", () => {
  it("one pass over the bytes equals the reference mapping of the generated decoder's message", () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 12 }), fc.constantFrom("instance", "zone"), (list, label) => {
        const bytes = writeRequestBytes(list);
        const fast = run((b) => mapWriteRequestBytes(bytes, b, label));
        const ref = run((b) => mapWriteRequest(fromBinary(WriteRequestSchema, bytes), b, label));
        expect(fast).toEqual(ref);
      }),
      { numRuns: 300 },
    );
  });

  it("a truncated message is a 400 naming the format, never another error", () => {
    const bytes = writeRequestBytes([
      { labels: { __name__: "cpu_usage", instance: "a:1" }, samples: [{ value: 1, timestamp: NOW }] },
    ]);
    for (let cut = 1; cut < bytes.length; cut++) {
      try {
        mapWriteRequestBytes(bytes.subarray(0, cut), new PointBuilder());
      } catch (e) {
        expect(e).toMatchObject({ code: "invalid_field" });
        expect(String((e as Error).message)).toMatch(/not a Remote-Write 1.0 request/);
      }
    }
  });

  it("reads the snappy preamble and strips ports", () => {
    expect(snappyLength(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04]))).toBe(2 ** 30);
    expect(snappyLength(new Uint8Array([0x80, 0x80]))).toBeNull();
    expect(stripPort("10.0.0.7:9100")).toBe("10.0.0.7");
    expect(stripPort("[::1]:9100")).toBe("::1");
    expect(stripPort("fd00::1")).toBe("fd00::1");
    expect(stripPort("web-1")).toBe("web-1");
  });
});
