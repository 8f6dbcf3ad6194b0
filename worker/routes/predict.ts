/**
 * POST /predict — stateless: a window of one host's points in, a prediction out, nothing stored. The
 * points run through a fresh scorer (the same code a Durable Object runs), so the answer is what a
 * host that had sent exactly these points would get.
 */
import type { Hono } from "hono";
import { edgeModel, modelUnavailable } from "../../model/runtime/workerd.ts";
import { HostScorer } from "../../model/core/scorer.ts";
import { guard, type AppEnv } from "../context.ts";
import { readJson } from "../body.ts";
import { ApiError, validate } from "../errors.ts";
import { MAX_BODY_BYTES, PredictBody } from "../../contracts/api.ts";
import { checkPointCount, toStoredPoints } from "../schemas.ts";
import { defaultHost } from "./host-param.ts";

export function predictRoute(app: Hono<AppEnv>): void {
  app.post("/predict", async (c) => {
    await guard(c, "read");
    const receivedMs = Date.now();
    const body = await readJson(c.req.raw, MAX_BODY_BYTES);
    checkPointCount(body);
    const req = validate(PredictBody, body);
    const host = req.host ?? defaultHost(c);
    // Nothing is stored, so points older than the retention are fine here.
    const { points, issues } = toStoredPoints(req.points, receivedMs, {
      pathOf: (i) => `points.${i}.timestamp`,
      retentionHours: null,
    });
    req.points.forEach((p, i) => {
      if (p.host !== undefined && p.host !== host) {
        issues.push({ path: `points.${i}.host`, message: `all points must belong to '${host}'` });
      }
    });
    if (issues.length > 0) throw ApiError.invalid(issues);
    let model;
    try {
      model = await edgeModel.get();
    } catch (e) {
      throw modelUnavailable(e);
    }
    const scorer = HostScorer.create(host, model.options);
    const out = await scorer.ingest(points);
    return c.json({
      host,
      points: points.length,
      dropped_late: points.length - out.accepted,
      prediction: out.prediction,
    });
  });
}
