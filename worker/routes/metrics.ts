/**
 * POST /metrics — one point (the seed's body, optionally with host/timestamp/metrics/labels) or a
 * batch `{"points": [...]}` (≤ 1000 points, ≤ 1 MiB). The whole request is validated before any host
 * is touched; points are grouped by host, one Durable Object call per host.
 */
import type { Hono } from "hono";
import type { IngestResponse } from "../../durable-objects/host-monitor.ts";
import { hostObjectName } from "../../durable-objects/protocol.ts";
import { guard, type AppContext, type AppEnv } from "../app.ts";
import { readJson } from "../body.ts";
import { ApiError } from "../errors.ts";
import { updateIndex } from "../index-update.ts";
import {
  BatchBody,
  checkPointCount,
  MAX_BODY_BYTES,
  MAX_FUTURE_MS,
  PointBody,
  toStoredPoint,
} from "../schemas.ts";
import { defaultHost } from "./host-param.ts";
import type { StoredPoint } from "../../durable-objects/protocol.ts";

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
    const r = BatchBody.safeParse(body);
    if (!r.success) throw ApiError.fromZod(r.error);
    points = r.data.points;
  } else {
    const r = PointBody.safeParse(body);
    if (!r.success) throw ApiError.fromZod(r.error);
    points = [r.data];
  }

  const byHost = new Map<string, StoredPoint[]>();
  const issues: { path: string; message: string }[] = [];
  points.forEach((p, i) => {
    const stored = toStoredPoint(p, receivedMs);
    if (stored.timestamp > receivedMs + MAX_FUTURE_MS) {
      issues.push({
        path: isBatch ? `points.${i}.timestamp` : "timestamp",
        message: "more than 5 minutes in the future",
      });
      return;
    }
    const host = p.host ?? fallbackHost;
    const list = byHost.get(host);
    if (list) list.push(stored);
    else byHost.set(host, [stored]);
  });
  if (issues.length > 0) {
    throw new ApiError("invalid_field", `${issues[0]!.path}: ${issues[0]!.message}`, {
      issues: issues.slice(0, 20),
    });
  }
  return { isBatch, byHost };
}

export function metricsRoute(app: Hono<AppEnv>): void {
  app.post("/metrics", async (c) => {
    const { tenant } = await guard(c, "write");
    const { isBatch, byHost } = await parseMetrics(c);
    const results = await Promise.all(
      [...byHost].map(
        ([host, pts]) =>
          c.env.HOST_MONITOR.get(c.env.HOST_MONITOR.idFromName(hostObjectName(tenant, host))).ingest({
            tenant,
            host,
            points: pts,
          }) as Promise<IngestResponse>,
      ),
    );
    updateIndex(c, tenant, results);
    const perHost = results.map(({ index: _index, ...r }) => r);
    if (!isBatch) return c.json(perHost[0]);
    const sum = (k: "accepted" | "duplicates" | "dropped_late") => perHost.reduce((s, r) => s + r[k], 0);
    return c.json({
      accepted: sum("accepted"),
      duplicates: sum("duplicates"),
      dropped_late: sum("dropped_late"),
      hosts: perHost,
    });
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
