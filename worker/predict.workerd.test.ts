import { describe, expect, it } from "vitest";
import type { Prediction } from "../contracts/prediction.ts";
import { call, json, SEED_POINT, series, type ErrorBody } from "./testing/http.ts";

describe("POST /predict (stateless)", () => {
  it("answers for a window of points and stores nothing", async () => {
    const points = series(60, Date.now() - 1000);
    const res = await call("/predict", { body: { host: "stateless-1", points } });
    expect(res.status).toBe(200);
    const r = await json<{ host: string; points: number; prediction: Prediction }>(res);
    expect(r.host).toBe("stateless-1");
    expect(r.points).toBe(60);
    expect(r.prediction.steps_seen).toBe(59);
    expect((await call("/hosts/stateless-1/prediction")).status).toBe(404);
  });

  it("gives what a host that sent exactly these points gets from POST /metrics", async () => {
    const points = series(45, Date.now() - 1000);
    const stateless = await json<{ prediction: Prediction }>(
      await call("/predict", { body: { host: "same-1", points } }),
    );
    const stored = await json<{ hosts: { prediction: Prediction }[] }>(
      await call("/metrics", { body: { points: points.map((p) => ({ ...p, host: "same-1" })) } }),
    );
    expect(stateless.prediction).toEqual(stored.hosts[0]!.prediction);
  });

  it("accepts the seed's point shape and rejects mixed hosts / bad values", async () => {
    expect((await call("/predict", { body: { points: [SEED_POINT] } })).status).toBe(200);
    const mixed = await call("/predict", { body: { host: "a", points: [{ ...SEED_POINT, host: "b" }] } });
    expect(mixed.status).toBe(400);
    expect((await json<ErrorBody>(mixed)).error.issues![0]!.path).toBe("points.0.host");
    const bad = await call("/predict", { body: { points: [{ ...SEED_POINT, error_rate: -0.1 }] } });
    expect((await json<ErrorBody>(bad)).error.issues![0]!.path).toBe("points.0.error_rate");
    expect((await call("/predict", { body: { points: [] } })).status).toBe(400);
    const none = await call("/predict", { body: {} });
    expect((await json<ErrorBody>(none)).error.issues).toEqual([{ path: "points", message: "is required" }]);
  });

  it("accepts points older than the retention (it stores nothing)", async () => {
    const tenDaysAgo = Date.now() - 10 * 86_400_000;
    const res = await call("/predict", { body: { host: "old-1", points: series(30, tenDaysAgo) } });
    expect(res.status).toBe(200);
    expect((await json<{ points: number }>(res)).points).toBe(30);
    expect((await call("/hosts/old-1/prediction")).status).toBe(404);
  });
});
