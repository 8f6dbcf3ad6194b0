/**
 * Loads the committed model artifact into the scoring core under Node (onnxruntime-web's `node`
 * export, one thread, no proxy — the same package the edge runs, see ARCHITECTURE.md).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-web";
import { anomalyFactory } from "../core/anomaly/index.ts";
import { LstmModel } from "../core/lstm.ts";
import { parseModelMeta, type ModelMeta } from "../core/meta.ts";
import { asRecurrentModel } from "../core/recurrent.ts";
import type { ScorerOptions } from "../core/scorer.ts";

export const DEFAULT_ARTIFACT = join("model", "artifacts", "downtime-lstm");

export interface LoadedModel {
  meta: ModelMeta;
  lstm: LstmModel;
  options: ScorerOptions;
}

/** Loads `<base>.onnx` + `<base>.json`; `metaOverride` lets a caller try other thresholds. */
export async function loadModel(
  base = DEFAULT_ARTIFACT,
  metaOverride?: (m: ModelMeta) => ModelMeta,
): Promise<LoadedModel> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const raw: unknown = JSON.parse(readFileSync(`${base}.json`, "utf8"));
  let meta = parseModelMeta(raw);
  if (metaOverride) meta = parseModelMeta(metaOverride(meta));
  // The commit-and-peek graph (same weights) sits beside the main one in artifacts that have it.
  const peekFile = meta.onnx_peek?.file;
  const peekBytes =
    peekFile === undefined ? undefined : new Uint8Array(readFileSync(join(dirname(base), peekFile)));
  const lstm = await LstmModel.create(ort, new Uint8Array(readFileSync(`${base}.onnx`)), raw, { peekBytes });
  return { meta, lstm, options: { meta, model: asRecurrentModel(lstm), anomaly: anomalyFactory } };
}
