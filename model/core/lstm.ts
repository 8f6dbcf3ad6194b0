/**
 * The exported downtime LSTM (model/train/model.py → ONNX) behind a small stateful API, run through
 * onnxruntime-web.
 *
 * The ORT module object is injected rather than imported: Node uses `onnxruntime-web` (its `node`
 * export) while workerd uses `onnxruntime-web/wasm` with a shim, and this file must stay free of
 * runtime-specific imports. Callers configure `ort.env` (e.g. `env.wasm.numThreads = 1`,
 * `env.wasm.proxy = false`) before the first `create`.
 *
 * Graph contract (metadata `io`): inputs `x` [batch, seq, features], `h0`, `c0` [layers, batch, hidden];
 * outputs `risk_logit` [batch, seq, horizons], `forecast` [batch, seq, forecastNames], `hn`, `cn`.
 * All float32, row-major. The edge carries (h, c) per host and feeds each new step once.
 */
import { z } from "zod";
import type { InferenceSession } from "onnxruntime-web";

/** Tensor as far as this wrapper needs it (onnxruntime-web's `Tensor` satisfies it). */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** Session as far as this wrapper needs it (onnxruntime-web's `InferenceSession` satisfies it). */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Readonly<Record<string, OrtTensorLike>>>;
  release(): Promise<void>;
}

/** The parts of the onnxruntime-web module object used here; pass `import * as ort from "onnxruntime-web"`. */
export interface OrtLike {
  InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<OrtSessionLike>;
  };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

export const INPUT_NAMES = ["x", "h0", "c0"] as const;
export const OUTPUT_NAMES = ["risk_logit", "forecast", "hn", "cn"] as const;

const positiveInt = z.number().int().positive();

/** The subset of the artifact metadata (`<name>.json`) the wrapper relies on; other keys are kept. */
export const LstmMetaSchema = z.looseObject({
  version: z.string().min(1),
  feature_names: z.array(z.string()).min(1),
  forecast_names: z.array(z.string()).min(1),
  step_seconds: z.number().positive(),
  horizons_minutes: z.array(z.number().positive()).min(1),
  horizons_steps: z.array(positiveInt).min(1),
  hidden: positiveInt,
  layers: positiveInt,
  io: z.looseObject({
    input_names: z.array(z.string()),
    output_names: z.array(z.string()),
  }),
  calibration: z.looseObject({
    a: z.array(z.number()),
    b: z.array(z.number()),
  }),
  /** The commit-and-peek graph beside the main one (artifacts exported since 2026-11-24). */
  onnx_peek: z.looseObject({ file: z.string(), sha256: z.string() }).optional(),
});
export type LstmMeta = z.infer<typeof LstmMetaSchema>;

/**
 * Recurrent state of `batch` hosts: `h` and `c` are [layers, batch, hidden] row-major, so host `b`'s
 * layer `l` vector starts at `(l * batch + b) * hidden`. Plain arrays so callers can persist them.
 */
export interface LstmState {
  h: Float32Array;
  c: Float32Array;
}

export interface LstmOutput {
  /** [batch, steps, horizons] uncalibrated logits; see {@link LstmModel.probabilities}. */
  riskLogit: Float32Array;
  /** [batch, steps, forecastNames]: predicted next-step z-score of each metric. */
  forecast: Float32Array;
  /** State after the last step; feed it to the next call. */
  state: LstmState;
}

/** Bad input to the wrapper or a model/metadata mismatch; `code` names the kind. */
export class LstmError extends Error {
  constructor(
    readonly code: "BAD_META" | "BAD_MODEL" | "BAD_INPUT",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LstmError";
  }
}

/**
 * One InferenceSession for the downtime LSTM. Calls are serialised (one `run` at a time per model),
 * so concurrent callers cannot interleave on the session.
 *
 * @example
 * import * as ort from "onnxruntime-web";
 * ort.env.wasm.numThreads = 1;
 * ort.env.wasm.proxy = false;
 * const model = await LstmModel.create(ort, onnxBytes, JSON.parse(metaText));
 * let state = model.zeroState(1);
 * const out = await model.run(featureRow, 1, 1, state); // one new step of one host
 * state = out.state; // persist with the host
 * const p = model.probabilities(out.riskLogit); // calibrated, one per horizon
 */
export class LstmModel {
  readonly meta: LstmMeta;
  readonly nFeatures: number;
  readonly nHorizons: number;
  readonly nForecast: number;
  readonly hidden: number;
  readonly layers: number;
  private readonly ort: OrtLike;
  private readonly session: OrtSessionLike;
  /** The CommitAndPeek graph (same weights), when its bytes were given: see `runCommitAndPeek`. */
  private readonly peekSession: OrtSessionLike | null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    ort: OrtLike,
    session: OrtSessionLike,
    peekSession: OrtSessionLike | null,
    meta: LstmMeta,
  ) {
    this.ort = ort;
    this.session = session;
    this.peekSession = peekSession;
    this.meta = meta;
    this.nFeatures = meta.feature_names.length;
    this.nHorizons = meta.horizons_steps.length;
    this.nForecast = meta.forecast_names.length;
    this.hidden = meta.hidden;
    this.layers = meta.layers;
  }

  /**
   * Validates the metadata, creates the session and checks the graph's io names against it.
   * @param meta the parsed `<name>.json` (validated here; unknown input is fine).
   */
  static async create(
    ort: OrtLike,
    modelBytes: Uint8Array,
    meta: unknown,
    opts: {
      /** Bytes of `<name>.peek.onnx` (metadata `onnx_peek`): enables `runCommitAndPeek`. */
      peekBytes?: Uint8Array;
      sessionOptions?: InferenceSession.SessionOptions;
    } = {},
  ): Promise<LstmModel> {
    const options = opts.sessionOptions ?? { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
    const parsed = LstmMetaSchema.safeParse(meta);
    if (!parsed.success) {
      throw new LstmError("BAD_META", `model metadata: ${z.prettifyError(parsed.error)}`, {
        cause: parsed.error,
      });
    }
    const m = parsed.data;
    const checks: [boolean, string][] = [
      [
        m.horizons_minutes.length === m.horizons_steps.length,
        "horizons_minutes and horizons_steps differ in length",
      ],
      [m.calibration.a.length === m.horizons_steps.length, "calibration.a needs one value per horizon"],
      [m.calibration.b.length === m.horizons_steps.length, "calibration.b needs one value per horizon"],
      [sameNames(m.io.input_names, INPUT_NAMES), `io.input_names must be ${INPUT_NAMES.join(",")}`],
      [sameNames(m.io.output_names, OUTPUT_NAMES), `io.output_names must be ${OUTPUT_NAMES.join(",")}`],
    ];
    for (const [ok, msg] of checks) if (!ok) throw new LstmError("BAD_META", `model metadata: ${msg}`);

    const session = await openSession(ort, modelBytes, options, "the ONNX model");
    let peek: OrtSessionLike | null = null;
    if (opts.peekBytes) {
      try {
        peek = await openSession(ort, opts.peekBytes, options, "the commit-and-peek ONNX graph");
      } catch (e) {
        await session.release();
        throw e;
      }
    }
    return new LstmModel(ort, session, peek, m);
  }

  /** Whether `runCommitAndPeek` is available (the commit-and-peek graph was loaded). */
  get canPeek(): boolean {
    return this.peekSession !== null;
  }

  /** Zero state for `batch` hosts: what a host seen for the first time starts from. */
  zeroState(batch = 1): LstmState {
    const n = this.layers * checkCount(batch, "batch") * this.hidden;
    return { h: new Float32Array(n), c: new Float32Array(n) };
  }

  /**
   * Runs `steps` consecutive steps of `batch` hosts from `state`.
   * @param x [batch, steps, nFeatures] row-major feature rows in metadata `feature_names` order.
   * @param state from {@link zeroState} or a previous call's `state`; not modified.
   */
  async run(x: Float32Array, batch: number, steps: number, state: LstmState): Promise<LstmOutput> {
    return this.runOn(this.session, x, batch, steps, state);
  }

  /**
   * Commits and peeks in one call (the commit-and-peek graph): x holds `steps − 1` steps to commit
   * followed by the still-open step. Outputs cover all `steps` rows; `state` is the state after the
   * committed rows only, as if `run` had been called on them and the open row evaluated from there.
   */
  async runCommitAndPeek(
    x: Float32Array,
    batch: number,
    steps: number,
    state: LstmState,
  ): Promise<LstmOutput> {
    if (this.peekSession === null) throw new LstmError("BAD_INPUT", "no commit-and-peek graph was loaded");
    if (!(steps >= 2)) throw new LstmError("BAD_INPUT", `commit-and-peek needs ≥ 2 steps, got ${steps}`);
    return this.runOn(this.peekSession, x, batch, steps, state);
  }

  private async runOn(
    session: OrtSessionLike,
    x: Float32Array,
    batch: number,
    steps: number,
    state: LstmState,
  ): Promise<LstmOutput> {
    checkCount(batch, "batch");
    checkCount(steps, "steps");
    const stateLen = this.layers * batch * this.hidden;
    if (x.length !== batch * steps * this.nFeatures) {
      throw new LstmError(
        "BAD_INPUT",
        `x has ${x.length} values, expected batch ${batch} × steps ${steps} × features ${this.nFeatures}`,
      );
    }
    if (state.h.length !== stateLen || state.c.length !== stateLen) {
      throw new LstmError(
        "BAD_INPUT",
        `state h/c have ${state.h.length}/${state.c.length} values, expected layers ${this.layers} × batch ${batch} × hidden ${this.hidden}`,
      );
    }
    const stateDims = [this.layers, batch, this.hidden];
    const feeds = {
      x: new this.ort.Tensor("float32", x, [batch, steps, this.nFeatures]),
      // ORT copies feeds into its own memory, so the caller's arrays are neither kept nor modified.
      h0: new this.ort.Tensor("float32", state.h, stateDims),
      c0: new this.ort.Tensor("float32", state.c, stateDims),
    };
    const result = this.queue.then(async () => {
      const out = await session.run(feeds);
      return {
        riskLogit: output(out, "risk_logit", batch * steps * this.nHorizons),
        forecast: output(out, "forecast", batch * steps * this.nForecast),
        state: { h: output(out, "hn", stateLen), c: output(out, "cn", stateLen) },
      };
    });
    this.queue = result.catch(() => undefined); // one failed run must not block the next
    return await result;
  }

  /**
   * Calibrated probabilities from `riskLogit` ([…, horizons] row-major): Platt scaling per horizon,
   * p = sigmoid(a·logit + b) with (a, b) from the metadata. Fraction 0..1.
   */
  probabilities(riskLogit: Float32Array): Float32Array {
    const { a, b } = this.meta.calibration;
    const p = new Float32Array(riskLogit.length);
    for (let i = 0; i < riskLogit.length; i++) {
      const j = i % this.nHorizons;
      p[i] = 1 / (1 + Math.exp(-(a[j]! * riskLogit[i]! + b[j]!)));
    }
    return p;
  }

  /** Frees the session (WASM memory). The model is unusable afterwards. */
  async release(): Promise<void> {
    await this.queue;
    await this.session.release();
    await this.peekSession?.release();
  }
}

/** Splits a batched state into one state per host (inverse of {@link stackStates}). */
export function splitState(state: LstmState, batch: number, layers: number, hidden: number): LstmState[] {
  checkCount(batch, "batch");
  if (state.h.length !== layers * batch * hidden || state.c.length !== state.h.length) {
    throw new LstmError(
      "BAD_INPUT",
      `state does not hold layers ${layers} × batch ${batch} × hidden ${hidden}`,
    );
  }
  const out: LstmState[] = [];
  for (let b = 0; b < batch; b++) {
    const h = new Float32Array(layers * hidden);
    const c = new Float32Array(layers * hidden);
    for (let l = 0; l < layers; l++) {
      const from = (l * batch + b) * hidden;
      h.set(state.h.subarray(from, from + hidden), l * hidden);
      c.set(state.c.subarray(from, from + hidden), l * hidden);
    }
    out.push({ h, c });
  }
  return out;
}

/** Stacks per-host states (each [layers, 1, hidden]) into one batched state [layers, batch, hidden]. */
export function stackStates(states: readonly LstmState[], layers: number, hidden: number): LstmState {
  const batch = states.length;
  const h = new Float32Array(layers * batch * hidden);
  const c = new Float32Array(layers * batch * hidden);
  states.forEach((s, b) => {
    if (s.h.length !== layers * hidden || s.c.length !== layers * hidden) {
      throw new LstmError("BAD_INPUT", `state ${b} does not hold layers ${layers} × hidden ${hidden}`);
    }
    for (let l = 0; l < layers; l++) {
      const to = (l * batch + b) * hidden;
      h.set(s.h.subarray(l * hidden, (l + 1) * hidden), to);
      c.set(s.c.subarray(l * hidden, (l + 1) * hidden), to);
    }
  });
  return { h, c };
}

/** Creates a session and checks the graph has the contract's inputs and outputs. */
async function openSession(
  ort: OrtLike,
  bytes: Uint8Array,
  options: InferenceSession.SessionOptions,
  what: string,
): Promise<OrtSessionLike> {
  let session: OrtSessionLike;
  try {
    session = await ort.InferenceSession.create(bytes, options);
  } catch (cause) {
    throw new LstmError("BAD_MODEL", `cannot load ${what}: ${String(cause)}`, { cause });
  }
  const missing = [
    ...INPUT_NAMES.filter((n) => !session.inputNames.includes(n)),
    ...OUTPUT_NAMES.filter((n) => !session.outputNames.includes(n)),
  ];
  if (missing.length > 0) {
    await session.release();
    throw new LstmError("BAD_MODEL", `ONNX graph lacks io ${missing.join(", ")}`);
  }
  return session;
}

function sameNames(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((n, i) => actual[i] === n);
}

function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new LstmError("BAD_INPUT", `${what} must be a positive integer, got ${n}`);
  return n;
}

function output(out: Readonly<Record<string, OrtTensorLike>>, name: string, length: number): Float32Array {
  const data = out[name]?.data;
  if (!(data instanceof Float32Array) || data.length !== length) {
    const got = data instanceof Float32Array ? `${data.length} float32` : typeof data;
    throw new LstmError("BAD_MODEL", `output ${name}: expected ${length} float32 values, got ${got}`);
  }
  return data;
}
