/**
 * Gaussian upper tail in "decimal digits of surprise": −log10 P(Z ≥ z) for a standard normal Z.
 *
 * Computed in log space (erfc after Numerical Recipes' `erfcc`, fractional error < 1.2e-7), so it stays
 * finite and monotone far into the tail where P itself underflows (z = 40 → ≈ 349.4).
 *
 * @example
 * tailSurprisal(0); // 0.30103 (P = 0.5)
 * tailSurprisal(3.09); // ≈ 3 (P ≈ 0.001)
 */
export function tailSurprisal(z: number): number {
  if (!(z === z)) return 0; // NaN carries no evidence
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  // ln erfc(x) for x ≥ 0.
  const lnErfc =
    Math.log(t) -
    x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  if (z >= 0) return -(lnErfc - Math.LN2) / Math.LN10;
  // Lower half: P = 1 − erfc(x)/2 ∈ (0.5, 1].
  return -Math.log10(1 - 0.5 * Math.exp(lnErfc));
}
