/**
 * POST /api/v1/write — Prometheus Remote-Write 1.0: snappy-compressed protobuf `WriteRequest`, Bearer
 * key with the `write` scope (Prometheus' `authorization: {credentials: …}`). Samples of one host and
 * timestamp become one point, validated as `POST /metrics` validates, then the same per-host path.
 *
 * Answers per the protocol: 204 when stored (with `X-Samples-Accepted` / `X-Samples-Dropped`), 400 for
 * a body that cannot be decoded or when every sample was dropped as invalid (Prometheus logs the
 * message and does not retry), 413 for a body over the caps, 415 for a wrong media type or encoding;
 * 429/5xx only when a retry can help (rate limit, a host object that could not load its model).
 * `?host_label=<label>` names the label that carries the host (default `instance`; `host` wins).
 */
import type { Hono } from "hono";
import { MAX_POINTS_PER_REQUEST } from "../../contracts/api.ts";
import { NAME_RE } from "../../contracts/names.ts";
import { guard, type AppContext, type AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { checkHostCount, ingestByHost } from "../ingest.ts";
import { MAX_BODY_BYTES, MAX_DECODED_BYTES, readRaw } from "../formats/body.ts";
import { mediaType } from "../body.ts";
import { describeDrops, PointBuilder, type Receipt } from "../formats/points.ts";
import { DEFAULT_HOST_LABEL, mapWriteRequestBytes, uncompressBody } from "../formats/remote-write.ts";

function unsupported(path: string, message: string): ApiError {
  return new ApiError("unsupported_media_type", `${path}: ${message}`, { issues: [{ path, message }] });
}

/** Checks the headers Remote-Write 1.0 requires, before the body is read. */
function checkHeaders(c: AppContext): void {
  if (mediaType(c.req.raw) !== "application/x-protobuf") {
    throw unsupported("header.content-type", "must be application/x-protobuf (Remote-Write 1.0)");
  }
  const enc = (c.req.header("content-encoding") ?? "").trim().toLowerCase();
  if (enc !== "snappy") throw unsupported("header.content-encoding", "must be snappy (Remote-Write 1.0)");
  const version = c.req.header("x-prometheus-remote-write-version");
  // Remote-Write 2.0 senders use another message (io.prometheus.write.v2.Request): say so instead of
  // decoding it as 1.0. An absent header is tolerated (some 1.0 senders omit it).
  if (version !== undefined && !version.startsWith("0.1.")) {
    throw unsupported(
      "header.x-prometheus-remote-write-version",
      "only Remote-Write 1.0 (0.1.0) is supported",
    );
  }
}

function hostLabel(c: AppContext): string {
  const q = c.req.query("host_label");
  if (q === undefined) return DEFAULT_HOST_LABEL;
  if (!NAME_RE.test(q))
    throw ApiError.invalid([{ path: "query.host_label", message: "must be a label name" }]);
  return q;
}

/** Decodes, maps and validates a request: the points by host and what was dropped. */
export async function parseRemoteWrite(c: AppContext, retentionHours: number) {
  checkHeaders(c);
  const label = hostLabel(c);
  const receivedMs = Date.now();
  const raw = uncompressBody(await readRaw(c.req.raw, MAX_BODY_BYTES), MAX_DECODED_BYTES);
  const builder = new PointBuilder();
  mapWriteRequestBytes(raw, builder, label);
  return builder.finish(receivedMs, retentionHours);
}

/** Logged once per request that dropped samples (the 204 has no body to say it in). */
function logDrops(tenant: string, r: Receipt): void {
  if (r.samplesDropped === 0) return;
  console.warn(
    JSON.stringify({
      event: "remote_write_dropped",
      tenant,
      samples_accepted: r.samplesAccepted,
      samples_dropped: r.samplesDropped,
      dropped: r.dropped,
      examples: r.examples,
    }),
  );
}

export function remoteWriteRoute(app: Hono<AppEnv>): void {
  app.post("/api/v1/write", async (c) => {
    const { tenant } = await guard(c, "write");
    const { byHost, receipt } = await parseRemoteWrite(c, c.get("config").retentionHours);
    logDrops(tenant, receipt);
    checkHostCount(c, receipt.hosts);
    if (receipt.points > MAX_POINTS_PER_REQUEST) {
      throw new ApiError(
        "payload_too_large",
        `at most ${MAX_POINTS_PER_REQUEST} points (host × timestamp) per request (got ${receipt.points}); set queue_config.max_samples_per_send ≤ ${MAX_POINTS_PER_REQUEST}`,
        { issues: [{ path: "(body)", message: `at most ${MAX_POINTS_PER_REQUEST} points` }] },
      );
    }
    if (receipt.points === 0 && receipt.samplesDropped > 0) {
      // Nothing usable: a 400 makes Prometheus log why (and not retry what can never succeed).
      throw new ApiError("invalid_field", describeDrops(receipt), {
        issues: Object.entries(receipt.dropped).map(([reason, n]) => ({
          path: "(samples)",
          message: `${n} ${reason}`,
        })),
      });
    }
    if (byHost.size > 0) await ingestByHost(c, tenant, byHost);
    return c.body(null, 204, {
      "X-Samples-Accepted": String(receipt.samplesAccepted),
      "X-Samples-Dropped": String(receipt.samplesDropped),
    });
  });
}
