/** Detectors `bench:nab` can run, by name. Each factory makes a fresh detector for one file. */

/** An online detector: sees one row at a time, in order, and scores it from what it has seen so far. */
export interface OnlineDetector {
  /** @returns anomaly score of this row, 0..1 */
  update(timestampMs: number, value: number): number;
}

export type DetectorFactory = () => OnlineDetector;

/** NAB's null detector: 0.5 on every row (the zero of NAB's normalisation). */
const nullFactory: DetectorFactory = () => ({ update: () => 0.5 });

export const DETECTORS: Readonly<Record<string, () => Promise<DetectorFactory>>> = {
  // The scoring core's anomaly path, the code the edge runs; imported only when asked for.
  edge: async () => (await import("../../model/core/anomaly/index.ts")).createNabDetector,
  null: () => Promise.resolve(nullFactory),
};
