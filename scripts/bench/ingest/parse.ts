/**
 * The Worker's parse cost per point for each way in, in Node (the same pure code the Worker runs):
 * body → validated points grouped by host, nothing sent anywhere. JSON: JSON.parse + BatchBody +
 * toStoredPoints (what POST /metrics does); remote_write: snappy + protobuf + mapping + the same
 * validation; OTLP: protobuf or JSON decoding + mapping + the same validation. The whole loop is timed.
 */
import { BatchBody } from "../../../contracts/api.ts";
import { validate } from "../../../worker/errors.ts";
import { decodeOtlp, mapOtlp } from "../../../worker/formats/otlp.ts";
import { PointBuilder } from "../../../worker/formats/points.ts";
import { mapWriteRequestBytes, uncompressBody } from "../../../worker/formats/remote-write.ts";
import { toStoredPoints } from "../../../worker/schemas.ts";
import type { Way } from "./bodies.ts";

const MAX_DECODED = 4 * 1024 * 1024;
const RETENTION_HOURS = 168;

/** Parses one body the way its route does; returns the number of valid points. */
export function parseOnce(way: Way, b: Uint8Array | string): number {
  const now = Date.now();
  if (way === "json") {
    const text = typeof b === "string" ? b : new TextDecoder().decode(b);
    const points = validate(BatchBody, JSON.parse(text)).points;
    const stored = toStoredPoints(points, now, { pathOf: String, retentionHours: RETENTION_HOURS });
    if (stored.issues.length > 0) throw new Error(`bench body invalid: ${stored.issues[0]!.message}`);
    const hosts = new Map<string, number>();
    points.forEach((p) => hosts.set(p.host ?? "default", (hosts.get(p.host ?? "default") ?? 0) + 1));
    return stored.points.length;
  }
  const builder = new PointBuilder();
  if (way === "remote_write") {
    mapWriteRequestBytes(uncompressBody(b as Uint8Array, MAX_DECODED), builder);
  } else {
    const bytes = typeof b === "string" ? new TextEncoder().encode(b) : b;
    mapOtlp(decodeOtlp(bytes, way === "otlp_json" ? "json" : "protobuf"), builder);
  }
  const { receipt } = builder.finish(now, RETENTION_HOURS);
  if (receipt.samplesDropped > 0) throw new Error(`bench body: ${receipt.samplesDropped} samples dropped`);
  return receipt.points;
}

export interface ParseCost {
  way: Way;
  iterations: number;
  points: number;
  us_per_point: number;
  points_per_s: number;
}

/** Runs parseOnce over `bodies` repeatedly for at least `minMs` (after one warm-up pass). */
export function parseCost(way: Way, bodies: readonly (Uint8Array | string)[], minMs: number): ParseCost {
  for (const b of bodies) parseOnce(way, b);
  let points = 0;
  let iterations = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs && iterations < 10_000) {
    for (const b of bodies) points += parseOnce(way, b);
    iterations++;
  }
  const ms = performance.now() - t0;
  return { way, iterations, points, us_per_point: (ms * 1000) / points, points_per_s: (points / ms) * 1000 };
}
