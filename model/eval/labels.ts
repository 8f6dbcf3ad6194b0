/** A labelled downtime interval, epoch ms, end exclusive. */
export interface DowntimeInterval {
  startMs: number;
  endMs: number;
}

/**
 * Risk labels per row and horizon: 1 when a downtime starts within `h` steps after the row's step
 * ends (`asOf ≤ start < asOf + h·step`, asOf = bucket start + step), 0 otherwise, NaN (masked) when
 * the host is down during the step or the horizon runs past the end of the known series.
 *
 * @returns rows × horizons, row-major.
 */
export function riskLabels(
  bucketStartMs: ArrayLike<number>,
  stepMs: number,
  horizonsSteps: readonly number[],
  downtime: readonly DowntimeInterval[],
  seriesEndMs: number,
): Float32Array {
  const rows = bucketStartMs.length;
  const H = horizonsSteps.length;
  const out = new Float32Array(rows * H);
  const sorted = [...downtime].sort((a, b) => a.startMs - b.startMs);
  let first = 0; // first interval that has not ended before this row's step
  for (let t = 0; t < rows; t++) {
    const b = bucketStartMs[t]!;
    const asOf = b + stepMs;
    while (first < sorted.length && sorted[first]!.endMs <= b) first++;
    const down = first < sorted.length && sorted[first]!.startMs < asOf && sorted[first]!.endMs > b;
    // Next downtime start at or after asOf.
    let next = Number.POSITIVE_INFINITY;
    for (let k = first; k < sorted.length; k++) {
      if (sorted[k]!.startMs >= asOf) {
        next = sorted[k]!.startMs;
        break;
      }
    }
    for (let h = 0; h < H; h++) {
      const horizonEnd = asOf + horizonsSteps[h]! * stepMs;
      const i = t * H + h;
      if (down) out[i] = Number.NaN;
      else if (next < horizonEnd) out[i] = 1;
      else if (horizonEnd > seriesEndMs) out[i] = Number.NaN;
      else out[i] = 0;
    }
  }
  return out;
}
