/** Detectors `bench:nab` can run, by name. Each factory makes a fresh detector for one file. */

/** An online detector: sees one row at a time, in order, and scores it from what it has seen so far. */
export interface OnlineDetector {
  /** @returns anomaly score of this row, 0..1 */
  update(timestampMs: number, value: number): number;
}

export type DetectorFactory = () => OnlineDetector;

/** NAB's null detector: 0.5 on every row (the zero of NAB's normalisation). */
const nullFactory: DetectorFactory = () => ({ update: () => 0.5 });

// The scoring core's anomaly path (written alongside this runner). Loaded lazily so the runner, and
// `--detector null`, work before that module exists.
const EDGE_MODULE = new URL("../../model/core/anomaly/index.ts", import.meta.url).href;

async function loadEdge(): Promise<DetectorFactory> {
  let mod: unknown;
  try {
    mod = await import(EDGE_MODULE);
  } catch (cause) {
    throw new Error(
      `detector "edge" needs createNabDetector() from model/core/anomaly/index.ts, which could not be loaded ` +
        `(${cause instanceof Error ? cause.message : String(cause)}); try --detector null`,
      { cause },
    );
  }
  const create = (mod as { createNabDetector?: unknown }).createNabDetector;
  if (typeof create !== "function") {
    throw new Error("model/core/anomaly/index.ts does not export a function createNabDetector()");
  }
  return () => {
    const d: unknown = create();
    if (typeof d !== "object" || d === null || typeof (d as { update?: unknown }).update !== "function") {
      throw new Error("createNabDetector() did not return an object with update(timestampMs, value)");
    }
    return d as OnlineDetector;
  };
}

export const DETECTORS: Readonly<Record<string, () => Promise<DetectorFactory>>> = {
  edge: loadEdge,
  null: () => Promise.resolve(nullFactory),
};
