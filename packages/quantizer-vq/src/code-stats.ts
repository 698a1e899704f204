/**
 * Usage statistics of a code histogram (spec §9.5): utilization, entropy in bits, normalized entropy and
 * perplexity.
 *
 * Private stand-in: `@ifsq/metrics` did not export its `stats` functions when this package was written; replace
 * with those once they land (same definitions).
 */
export interface CodeUsageStats {
  /** Fraction of codes used at least once: `|{k : n_k > 0}| / K`. */
  utilization: number;
  /** Entropy `−Σ p_k log2 p_k` in bits. */
  entropy: number;
  /** Entropy divided by `log2 K` (1 = uniform use). */
  normalizedEntropy: number;
  /** Perplexity `2^entropy` (effective number of codes). */
  perplexity: number;
  /** Number of codes used at least once. */
  activeCodes: number;
}

/** Usage statistics of per-code counts (length K); all zeros when no assignment was counted. */
export function codeUsageStats(counts: ArrayLike<number>): CodeUsageStats {
  const k = counts.length;
  let total = 0;
  let active = 0;
  for (let i = 0; i < k; i++) {
    total += counts[i];
    if (counts[i] > 0) active += 1;
  }
  if (total <= 0) return { utilization: 0, entropy: 0, normalizedEntropy: 0, perplexity: 0, activeCodes: 0 };
  let entropy = 0;
  for (let i = 0; i < k; i++) {
    const p = counts[i] / total;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  return {
    utilization: active / k,
    entropy,
    normalizedEntropy: k > 1 ? entropy / Math.log2(k) : 0,
    perplexity: 2 ** entropy,
    activeCodes: active,
  };
}

/** Per-code counts of int indices in `[0, k)`. */
export function countCodes(indices: ArrayLike<number>, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (let i = 0; i < indices.length; i++) counts[indices[i]] += 1;
  return counts;
}
