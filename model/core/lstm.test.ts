// LstmModel's own behaviour (validation, shapes, state handling, serialised runs, calibration) against
// a fake ORT module, so it runs without PyTorch. Numerical parity with PyTorch through the real
// onnxruntime-web lives in model/train/parity.test.ts.
import { describe, expect, it } from "vitest";
import {
  LstmError,
  LstmModel,
  splitState,
  stackStates,
  type OrtLike,
  type OrtSessionLike,
  type OrtTensorLike,
} from "./lstm.ts";

const F = 12;
const H = 3;
const HIDDEN = 4;
const LAYERS = 2;

function meta(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "test",
    feature_names: Array.from({ length: F }, (_, i) => `f${i}`),
    forecast_names: ["cpu_usage", "memory_usage", "network_latency", "error_rate"],
    step_seconds: 60,
    horizons_minutes: [5, 15, 30],
    horizons_steps: [5, 15, 30],
    hidden: HIDDEN,
    layers: LAYERS,
    io: { input_names: ["x", "h0", "c0"], output_names: ["risk_logit", "forecast", "hn", "cn"] },
    calibration: { a: [1, 2, 0.5], b: [0, -1, 1] },
    ...overrides,
  };
}

class FakeTensor implements OrtTensorLike {
  constructor(
    readonly type: "float32",
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

/**
 * A stand-in "LSTM": risk_logit[b,t,j] = sum(x[b,t,:]) + j, forecast = the first 4 features,
 * hn = h0 + steps, cn = c0 · 2. Records feeds and the largest number of overlapping runs.
 */
class FakeSession implements OrtSessionLike {
  inputNames: string[] = ["x", "h0", "c0"];
  outputNames: string[] = ["risk_logit", "forecast", "hn", "cn"];
  feeds: Record<string, OrtTensorLike>[] = [];
  active = 0;
  maxActive = 0;
  released = false;
  failNext = false;
  shortOutput = false;

  async run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.feeds.push(feeds);
    await new Promise((r) => setTimeout(r, 2));
    this.active--;
    if (this.failNext) {
      this.failNext = false;
      throw new Error("boom");
    }
    const x = feeds.x!.data as Float32Array;
    const [batch, steps] = feeds.x!.dims as [number, number, number];
    const rows = batch * steps;
    const risk = new Float32Array(rows * H);
    const fc = new Float32Array(rows * 4);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * F, (r + 1) * F);
      const sum = row.reduce((s, v) => s + v, 0);
      for (let j = 0; j < H; j++) risk[r * H + j] = sum + j;
      fc.set(row.subarray(0, 4), r * 4);
    }
    const h0 = feeds.h0!.data as Float32Array;
    const c0 = feeds.c0!.data as Float32Array;
    return {
      risk_logit: new FakeTensor("float32", this.shortOutput ? risk.subarray(1) : risk, [batch, steps, H]),
      forecast: new FakeTensor("float32", fc, [batch, steps, 4]),
      hn: new FakeTensor(
        "float32",
        h0.map((v) => v + steps),
        feeds.h0!.dims,
      ),
      cn: new FakeTensor(
        "float32",
        c0.map((v) => v * 2),
        feeds.c0!.dims,
      ),
    };
  }

  async release(): Promise<void> {
    this.released = true;
  }
}

function fakeOrt(session: FakeSession): OrtLike {
  return {
    InferenceSession: { create: async () => session },
    Tensor: FakeTensor,
  };
}

async function setup() {
  const session = new FakeSession();
  const model = await LstmModel.create(fakeOrt(session), new Uint8Array(), meta());
  return { session, model };
}

describe("LstmModel.create", () => {
  it("rejects metadata without a required field, naming it", async () => {
    const bad = meta();
    delete bad.hidden;
    const err = await LstmModel.create(fakeOrt(new FakeSession()), new Uint8Array(), bad).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LstmError);
    expect((err as LstmError).code).toBe("BAD_META");
    expect((err as LstmError).message).toContain("hidden");
  });

  it("rejects calibration that does not match the horizons", async () => {
    const bad = meta({ calibration: { a: [1, 1], b: [0, 0] } });
    await expect(LstmModel.create(fakeOrt(new FakeSession()), new Uint8Array(), bad)).rejects.toThrow(
      /calibration.a/,
    );
  });

  it("rejects a graph without the documented io and releases its session", async () => {
    const session = new FakeSession();
    session.inputNames = ["x", "h0"];
    const err = await LstmModel.create(fakeOrt(session), new Uint8Array(), meta()).catch((e: unknown) => e);
    expect((err as LstmError).code).toBe("BAD_MODEL");
    expect((err as LstmError).message).toContain("c0");
    expect(session.released).toBe(true);
  });

  it("wraps a model that fails to load", async () => {
    const ort: OrtLike = {
      InferenceSession: { create: () => Promise.reject(new Error("protobuf parsing failed")) },
      Tensor: FakeTensor,
    };
    await expect(LstmModel.create(ort, new Uint8Array([1, 2]), meta())).rejects.toMatchObject({
      code: "BAD_MODEL",
    });
  });
});

describe("LstmModel.run", () => {
  it("feeds [batch, steps, features] and [layers, batch, hidden] and returns outputs and the new state", async () => {
    const { session, model } = await setup();
    const batch = 2;
    const steps = 3;
    const x = new Float32Array(batch * steps * F).fill(0.5);
    const state = model.zeroState(batch);
    expect(state.h.length).toBe(LAYERS * batch * HIDDEN);
    const out = await model.run(x, batch, steps, state);
    expect(session.feeds[0]!.x!.dims).toEqual([batch, steps, F]);
    expect(session.feeds[0]!.h0!.dims).toEqual([LAYERS, batch, HIDDEN]);
    expect(out.riskLogit.length).toBe(batch * steps * H);
    expect(Array.from(out.riskLogit.subarray(0, 3))).toEqual([6, 7, 8]); // 12 × 0.5 + j
    expect(out.forecast.length).toBe(batch * steps * 4);
    expect(out.state.h.every((v) => v === steps)).toBe(true);
    expect(state.h.every((v) => v === 0)).toBe(true); // caller's state untouched
  });

  it("carries state when the caller feeds it back", async () => {
    const { model } = await setup();
    let state = model.zeroState(1);
    for (let i = 0; i < 4; i++) state = (await model.run(new Float32Array(F), 1, 1, state)).state;
    expect(state.h.every((v) => v === 4)).toBe(true);
  });

  it("rejects inputs whose sizes do not match batch, steps and the model", async () => {
    const { model } = await setup();
    const s1 = model.zeroState(1);
    await expect(model.run(new Float32Array(F - 1), 1, 1, s1)).rejects.toMatchObject({ code: "BAD_INPUT" });
    await expect(model.run(new Float32Array(2 * F), 2, 1, s1)).rejects.toThrow(/state h\/c/);
    await expect(model.run(new Float32Array(0), 0, 1, s1)).rejects.toThrow(
      /batch must be a positive integer/,
    );
    await expect(model.run(new Float32Array(F), 1, 1.5, s1)).rejects.toThrow(/steps/);
  });

  it("rejects a model whose outputs have the wrong size", async () => {
    const { session, model } = await setup();
    session.shortOutput = true;
    await expect(model.run(new Float32Array(F), 1, 1, model.zeroState(1))).rejects.toThrow(/risk_logit/);
  });

  it("runs one call at a time and recovers after a failed run", async () => {
    const { session, model } = await setup();
    session.failNext = true;
    const runs = [0, 1, 2, 3].map((i) =>
      model.run(new Float32Array(F).fill(i), 1, 1, model.zeroState(1)).then((o) => o.riskLogit[0]),
    );
    const results = await Promise.allSettled(runs);
    expect(session.maxActive).toBe(1);
    expect(results[0]!.status).toBe("rejected");
    expect(results.slice(1).map((r) => (r.status === "fulfilled" ? r.value : null))).toEqual([12, 24, 36]);
  });
});

describe("LstmModel.probabilities", () => {
  it("applies p = sigmoid(a·logit + b) per horizon", async () => {
    const { model } = await setup();
    const p = model.probabilities(Float32Array.from([0, 0, 0, 2, 1, -2]));
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = [sig(0), sig(-1), sig(1), sig(2), sig(2 - 1), sig(-1 + 1)];
    p.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });
});

describe("splitState / stackStates", () => {
  it("round-trip a batched state and place host b's layer l at (l·batch + b)·hidden", () => {
    const batch = 3;
    const h = Float32Array.from({ length: LAYERS * batch * HIDDEN }, (_, i) => i);
    const c = h.map((v) => -v);
    const hosts = splitState({ h, c }, batch, LAYERS, HIDDEN);
    expect(hosts).toHaveLength(batch);
    // host 1, layer 1 starts at (1·3 + 1)·4 = 16
    expect(Array.from(hosts[1]!.h.subarray(HIDDEN, 2 * HIDDEN))).toEqual([16, 17, 18, 19]);
    const back = stackStates(hosts, LAYERS, HIDDEN);
    expect(Array.from(back.h)).toEqual(Array.from(h));
    expect(Array.from(back.c)).toEqual(Array.from(c));
  });

  it("rejects states of the wrong size", () => {
    expect(() => splitState({ h: new Float32Array(5), c: new Float32Array(5) }, 1, LAYERS, HIDDEN)).toThrow(
      LstmError,
    );
    expect(() => stackStates([{ h: new Float32Array(3), c: new Float32Array(3) }], LAYERS, HIDDEN)).toThrow(
      LstmError,
    );
  });
});
