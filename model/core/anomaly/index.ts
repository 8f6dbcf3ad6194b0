/**
 * Online per-metric anomaly scoring (placeholder while the detector is built).
 *
 * @example
 * const d = createNabDetector();
 * const score = d.update(Date.parse("2014-04-01T00:00:00Z"), 42); // fraction 0..1
 */
export function createNabDetector(): { update(timestampMs: number, value: number): number } {
  return {
    update(_timestampMs: number, _value: number): number {
      return 0;
    },
  };
}
