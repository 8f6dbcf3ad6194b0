/**
 * POST /metrics — one point (the seed's body, optionally with host/timestamp/metrics/labels) or a
 * batch `{"points": [...]}` (≤ 1000 points, ≤ 1 MiB). The whole request is validated before any host
 * is touched; points are grouped by host, one Durable Object call per host.
 */
import type { Hono } from "hono";
import { BatchBody, MAX_BODY_BYTES, PointBody, type BatchIngest } from "../../contracts/api.ts";
import type { StoredPoint } from "../../contracts/points.ts";
import { guard, type AppContext, type AppEnv } from "../context.ts";
import { readJson } from "../body.ts";
import { ApiError, validate } from "../errors.ts";
import { checkHostCount, ingestByHost } from "../ingest.ts";
import { checkPointCount, toStoredPoints } from "../schemas.ts";
import { defaultHost } from "./host-param.ts";

/** Parses and validates a POST /metrics body completely; groups the points by host. */
async function parseMetrics(
  c: AppContext,
): Promise<{ isBatch: boolean; byHost: Map<string, StoredPoint[]> }> {
  const receivedMs = Date.now();
  const fallbackHost = defaultHost(c);
  const body = await readJson(c.req.raw, MAX_BODY_BYTES);
  const isBatch = typeof body === "object" && body !== null && !Array.isArray(body) && "points" in body;

  let points: PointBody[];
  if (isBatch) {
    checkPointCount(body);
    points = validate(BatchBody, body).points;
  } else {
    points = [validate(PointBody, body)];
  }

  const stored = toStoredPoints(points, receivedMs, {
    pathOf: (i) => (isBatch ? `points.${i}.timestamp` : "timestamp"),
    retentionHours: c.get("config").retentionHours,
  });
  if (stored.issues.length > 0) throw ApiError.invalid(stored.issues);
  const byHost = new Map<string, StoredPoint[]>();
  stored.points.forEach((p, i) => {
    const host = points[i]!.host ?? fallbackHost;
    const list = byHost.get(host);
    if (list) list.push(p);
    else byHost.set(host, [p]);
  });
  // Here too, not only in ingestByHost: /metrics/validate answers what /metrics would.
  checkHostCount(c, byHost.size);
  return { isBatch, byHost };
}

export function metricsRoute(app: Hono<AppEnv>): void {
  app.post("/metrics", async (c) => {
    const { tenant } = await guard(c, "write");
    const { isBatch, byHost } = await parseMetrics(c);
    const perHost = await ingestByHost(c, tenant, byHost);
    if (!isBatch) return c.json(perHost[0]);
    const sum = (k: "accepted" | "duplicates" | "dropped_late") => perHost.reduce((s, r) => s + r[k], 0);
    const body: BatchIngest = {
      accepted: sum("accepted"),
      duplicates: sum("duplicates"),
      dropped_late: sum("dropped_late"),
      hosts: perHost,
    };
    return c.json(body);
  });

  /**
   * POST /metrics/validate — the same parsing and validation as POST /metrics, nothing stored or
   * scored: lets an agent check its payloads, and is the baseline of the ingest benchmark.
   */
  app.post("/metrics/validate", async (c) => {
    await guard(c, "write");
    const { byHost } = await parseMetrics(c);
    let points = 0;
    for (const p of byHost.values()) points += p.length;
    return c.json({ valid: true, points, hosts: byHost.size });
  });
}
