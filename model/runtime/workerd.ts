/**
 * The scoring model inside workerd: one onnxruntime-web session per isolate, created lazily on first
 * use and shared by every Durable Object (and the Worker's stateless `/predict`) in that isolate.
 * A failed load is forgotten, so the next caller retries from scratch instead of inheriting a
 * rejected promise forever.
 */
import onnxBytes from "../artifacts/downtime-lstm.onnx";
import peekBytes from "../artifacts/downtime-lstm.peek.onnx";
import metaJson from "../artifacts/downtime-lstm.json";
import { anomalyFactory } from "../core/anomaly/index.ts";
import { LstmModel } from "../core/lstm.ts";
import { alertPolicy, parseModelMeta, type ModelMeta } from "../core/meta.ts";
import { asRecurrentModel } from "../core/recurrent.ts";
import type { ScorerOptions } from "../core/scorer.ts";
import { ortForWorkerd } from "./ort-workerd.ts";
import { MODEL_UNAVAILABLE } from "../../contracts/rpc.ts";

export interface EdgeModel {
  meta: ModelMeta;
  options: ScorerOptions;
  /** Key of the warning rule's horizon in `Prediction.risk` ("30m" for the shipped model): the ranking risk. */
  warningKey: string;
  /** Wall time of the session creation in this isolate, ms (workerd timers tick in 1 ms steps). */
  loadMs: number;
}

/** Retries a failed async initialisation on the next call; concurrent callers share one attempt. */
export class LazyOnce<T> {
  private pending: Promise<T> | undefined;
  private value: T | undefined;
  private lastError: unknown;

  constructor(private readonly init: () => Promise<T>) {}

  get ready(): boolean {
    return this.value !== undefined;
  }

  /** The error of the last failed attempt (cleared by a success). */
  get error(): unknown {
    return this.lastError;
  }

  get(): Promise<T> {
    if (this.value !== undefined) return Promise.resolve(this.value);
    this.pending ??= this.init().then(
      (v) => {
        this.value = v;
        this.lastError = undefined;
        return v;
      },
      (e: unknown) => {
        this.pending = undefined;
        this.lastError = e;
        throw e;
      },
    );
    return this.pending;
  }
}

export async function loadEdgeModel(bytes: ArrayBuffer | Uint8Array = onnxBytes): Promise<EdgeModel> {
  const t0 = Date.now();
  const meta = parseModelMeta(metaJson);
  const ort = ortForWorkerd();
  // The commit-and-peek graph goes with the committed model only (a test may load other bytes).
  const peek = bytes === onnxBytes ? { peekBytes: new Uint8Array(peekBytes) } : {};
  const lstm = await LstmModel.create(
    ort,
    bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes),
    metaJson,
    peek,
  );
  return {
    meta,
    options: { meta, model: asRecurrentModel(lstm), anomaly: anomalyFactory },
    warningKey: `${meta.horizons_minutes[alertPolicy(meta).warning.horizonIndex]}m`,
    loadMs: Date.now() - t0,
  };
}

/** The error a caller throws when the model cannot be loaded: the Worker answers it with a 503. */
export function modelUnavailable(cause: unknown): Error {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${MODEL_UNAVAILABLE} ${msg}`, { cause });
}

/** The isolate's model (what production uses). */
export const edgeModel = new LazyOnce(() => loadEdgeModel());

/** Model version from the committed metadata, without loading the network. */
export const MODEL_VERSION: string = parseModelMeta(metaJson).version;
