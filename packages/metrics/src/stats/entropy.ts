/**
 * Entropy, normalized entropy and perplexity of empirical distributions (spec §9.5), from counts or probabilities.
 */
import type { Counts } from './histogram.js';
import { digitHistograms } from './histogram.js';

function toArray(counts: Counts): number[] {
  return counts instanceof Map ? [...counts.values()] : Array.from(counts);
}

/**
 * Shannon entropy in bits, `H = −Σ p_k log2 p_k`, of counts (or probabilities; they are normalized first).
 * Empty bins contribute 0. Returns 0 for an all-zero input.
 */
export function entropyBits(counts: Counts): number {
  const c = toArray(counts);
  let total = 0;
  for (const v of c) {
    if (!(v >= 0)) throw new RangeError(`entropyBits: counts must be non-negative, got ${v}`);
    total += v;
  }
  if (total === 0) return 0;
  let h = 0;
  for (const v of c) {
    if (v > 0) {
      const p = v / total;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Entropy divided by its maximum `log2(size)`: 1 for a uniform distribution over all `size` symbols.
 *
 * @param counts - Counts or probabilities.
 * @param size - Number of possible symbols; defaults to the length of a dense count array.
 */
export function normalizedEntropy(counts: Counts, size?: number): number {
  const k = size ?? (counts instanceof Map ? undefined : counts.length);
  if (k === undefined || k <= 0) throw new RangeError('normalizedEntropy: size is required for sparse counts');
  if (k === 1) return 0;
  return entropyBits(counts) / Math.log2(k);
}

/** Perplexity `2^H` (equal to `exp(−Σ p ln p)`): the effective number of equally used symbols. */
export function perplexity(counts: Counts): number {
  return 2 ** entropyBits(counts);
}

/** Occupancy summary of one alphabet (a dimension's bins or a whole codebook). */
export interface OccupancySummary {
  /** Fraction of symbols used at least once. */
  utilization: number;
  /** Entropy in bits. */
  entropyBits: number;
  /** Entropy divided by `log2(size)`. */
  normalizedEntropy: number;
  /** `2^entropyBits`. */
  perplexity: number;
}

/** All occupancy summaries of a count vector at once. */
export function occupancy(counts: Counts, size?: number): OccupancySummary {
  const k = size ?? (counts instanceof Map ? undefined : counts.length);
  if (k === undefined) throw new RangeError('occupancy: size is required for sparse counts');
  const c = toArray(counts);
  const h = entropyBits(c);
  let used = 0;
  for (const v of c) if (v > 0) used++;
  return { utilization: used / k, entropyBits: h, normalizedEntropy: k > 1 ? h / Math.log2(k) : 0, perplexity: 2 ** h };
}

/**
 * Per-dimension occupancy of FSQ digits `[N, d]` (the paper's "bin utilization"), one summary per dimension.
 *
 * @param digits - Row-major digits `[N, d]`.
 * @param levels - Bins per dimension.
 */
export function perDimensionOccupancy(digits: ArrayLike<number>, levels: readonly number[]): OccupancySummary[] {
  return digitHistograms(digits, levels).map((h, i) => occupancy(h, levels[i]));
}

/** Perplexity of each dimension of FSQ digits `[N, d]`. */
export function perDimensionPerplexity(digits: ArrayLike<number>, levels: readonly number[]): number[] {
  return perDimensionOccupancy(digits, levels).map((o) => o.perplexity);
}
