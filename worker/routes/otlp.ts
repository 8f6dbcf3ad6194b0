/**
 * POST /v1/metrics — OTLP/HTTP metrics: `application/x-protobuf` or `application/json`, optionally
 * `Content-Encoding: gzip` (inflated under a cap, see formats/body.ts). Bearer key with the `write`
 * scope (OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer …"). Data points become points per host and
 * timestamp, validated as `POST /metrics` validates, then the same per-host path.
 *
 * Answers the OTLP way: 200 with an `ExportMetricsServiceResponse` in the request's encoding, carrying
 * `partialSuccess {rejectedDataPoints, errorMessage}` when some data points were rejected — bad data is
 * never a 5xx. A body that cannot be decoded is a 400, too large a 413, a wrong media type or encoding
 * a 415; 429/503 only when a retry can help.
 */
import type { Hono } from "hono";
import { MAX_POINTS_PER_REQUEST } from "../../contracts/api.ts";
import { guard, type AppContext, type AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { MAX_BODY_BYTES, MAX_DECODED_BYTES, gunzip, readRaw } from "../formats/body.ts";
import { mediaType } from "../body.ts";
import { decodeOtlp, encodeResponse, mapOtlp, type OtlpFormat } from "../formats/otlp.ts";
import { describeDrops, PointBuilder } from "../formats/points.ts";
import { checkHostCount, ingestByHost } from "../ingest.ts";

function unsupported(path: string, message: string): ApiError {
  return new ApiError("unsupported_media_type", `${path}: ${message}`, { issues: [{ path, message }] });
}

function formatOf(c: AppContext): OtlpFormat {
  const type = mediaType(c.req.raw);
  if (type === "application/x-protobuf") return "protobuf";
  if (type === "application/json") return "json";
  throw unsupported("header.content-type", "must be application/x-protobuf or application/json (OTLP/HTTP)");
}

/** The request's bytes, inflated when gzip-encoded; both sizes capped. */
async function readBody(c: AppContext): Promise<Uint8Array> {
  const enc = (c.req.header("content-encoding") ?? "").trim().toLowerCase();
  if (enc !== "" && enc !== "identity" && enc !== "gzip") {
    throw unsupported("header.content-encoding", "must be gzip or absent");
  }
  const raw = await readRaw(c.req.raw, MAX_BODY_BYTES);
  return enc === "gzip" ? gunzip(raw, MAX_DECODED_BYTES) : raw;
}

/** Decodes, maps and validates a request: the points by host and what was rejected. */
export async function parseOtlp(c: AppContext, retentionHours: number) {
  const format = formatOf(c);
  const receivedMs = Date.now();
  const req = decodeOtlp(await readBody(c), format);
  const builder = new PointBuilder();
  mapOtlp(req, builder);
  return { format, ...builder.finish(receivedMs, retentionHours) };
}

export function otlpRoute(app: Hono<AppEnv>): void {
  app.post("/v1/metrics", async (c) => {
    const { tenant } = await guard(c, "write");
    const { format, byHost, receipt } = await parseOtlp(c, c.get("config").retentionHours);
    checkHostCount(c, receipt.hosts);
    if (receipt.points > MAX_POINTS_PER_REQUEST) {
      throw new ApiError(
        "payload_too_large",
        `at most ${MAX_POINTS_PER_REQUEST} points (host × timestamp) per request (got ${receipt.points}); export more often or in smaller batches`,
        { issues: [{ path: "(body)", message: `at most ${MAX_POINTS_PER_REQUEST} points` }] },
      );
    }
    if (receipt.samplesDropped > 0) {
      console.warn(
        JSON.stringify({
          event: "otlp_rejected",
          tenant,
          accepted: receipt.samplesAccepted,
          rejected: receipt.samplesDropped,
          dropped: receipt.dropped,
          examples: receipt.examples,
        }),
      );
    }
    if (byHost.size > 0) await ingestByHost(c, tenant, byHost);
    const { body, contentType } = encodeResponse(receipt.samplesDropped, describeDrops(receipt), format);
    return c.body(body, 200, { "Content-Type": contentType });
  });
}
