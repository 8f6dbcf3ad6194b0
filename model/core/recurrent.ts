import type { LstmModel } from "./lstm.ts";
import type { RecurrentModel, RecurrentState } from "./scorer.ts";

/**
 * Adapts the ONNX-backed LstmModel to the scorer's RecurrentModel contract (batch 1 per host;
 * branches = several what-if sequences from one state, in one call).
 */
export function asRecurrentModel(lstm: LstmModel): RecurrentModel {
  return {
    zeroState: () => lstm.zeroState(1),
    run: (x, steps, state) => lstm.run(x, 1, steps, state),
    ...(lstm.canPeek
      ? {
          runCommitAndPeek: (x: Float32Array, steps: number, state: RecurrentState) =>
            lstm.runCommitAndPeek(x, 1, steps, state),
        }
      : {}),
    async runBranches(x, batch, steps, state) {
      const out = await lstm.run(x, batch, steps, tile(state, batch, lstm.layers, lstm.hidden));
      return { riskLogit: out.riskLogit };
    },
  };
}

/** Repeats a batch-1 state `batch` times in the [layers, batch, hidden] layout. */
function tile(s: RecurrentState, batch: number, layers: number, hidden: number): RecurrentState {
  const h = new Float32Array(layers * batch * hidden);
  const c = new Float32Array(layers * batch * hidden);
  for (let l = 0; l < layers; l++) {
    const src = l * hidden;
    for (let b = 0; b < batch; b++) {
      const dst = (l * batch + b) * hidden;
      h.set(s.h.subarray(src, src + hidden), dst);
      c.set(s.c.subarray(src, src + hidden), dst);
    }
  }
  return { h, c };
}
