/**
 * Histograms of integer symbols (bin digits or codebook indices) and the occupancy summaries derived from them.
 * Pure functions on typed arrays; no TensorFlow.js.
 */

/** Integer symbols: a typed array or plain array of non-negative integers. */
export type Symbols = ArrayLike<number>;

/**
 * Count how often each symbol `0..size-1` occurs.
 *
 * @param symbols - Integer symbols in `[0, size)`.
 * @param size - Number of possible symbols (bins `L` or codebook size `K`).
 * @returns Counts of length `size` (Float64Array so counts beyond 2^31 stay exact).
 * @throws RangeError when a symbol is outside `[0, size)` or not an integer.
 */
export function histogram(symbols: Symbols, size: number): Float64Array {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`histogram: size must be a positive integer, got ${size}`);
  const counts = new Float64Array(size);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(s >= 0 && s < size) || !Number.isInteger(s)) {
      throw new RangeError(`histogram: symbol ${s} at position ${i} is outside [0, ${size})`);
    }
    counts[s]++;
  }
  return counts;
}

/**
 * Sparse histogram for large alphabets (e.g. a 17^4 = 83 521-code FSQ codebook seen through a small batch): only the
 * symbols that occur get an entry.
 *
 * @param symbols - Integer symbols.
 * @returns Map from symbol to count.
 */
export function sparseHistogram(symbols: Symbols): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return counts;
}

/**
 * Per-dimension bin histograms of FSQ digits laid out `[N, d]` (channels last).
 *
 * @param digits - Digits, row-major `[N, d]`; `digits[n*d + i]` is in `[0, levels[i])`.
 * @param levels - Number of bins `L_i` of each dimension.
 * @returns One count array per dimension.
 */
export function digitHistograms(digits: Symbols, levels: readonly number[]): Float64Array[] {
  const d = levels.length;
  if (d === 0) throw new RangeError('digitHistograms: levels must not be empty');
  if (digits.length % d !== 0) {
    throw new RangeError(`digitHistograms: ${digits.length} digits do not split into rows of ${d} dimensions`);
  }
  const out = levels.map((l) => new Float64Array(l));
  for (let p = 0; p < digits.length; p += d) {
    for (let i = 0; i < d; i++) {
      const s = digits[p + i];
      if (!(s >= 0 && s < levels[i]) || !Number.isInteger(s)) {
        throw new RangeError(`digitHistograms: digit ${s} of dimension ${i} is outside [0, ${levels[i]})`);
      }
      out[i][s]++;
    }
  }
  return out;
}

/** Values accepted as counts: a dense count array or a sparse map (symbol → count). */
export type Counts = ArrayLike<number> | Map<number, number>;

function countValues(counts: Counts): number[] {
  return counts instanceof Map ? [...counts.values()] : Array.from(counts);
}

/**
 * Fraction of the `size` possible symbols that occur at least once (spec §9.5 `utilization`).
 *
 * @param counts - Dense counts or a sparse map.
 * @param size - Number of possible symbols; defaults to the length of a dense count array.
 */
export function utilization(counts: Counts, size?: number): number {
  const k = size ?? (counts instanceof Map ? undefined : counts.length);
  if (k === undefined || k <= 0) throw new RangeError('utilization: size is required for sparse counts and must be > 0');
  let used = 0;
  for (const c of countValues(counts)) if (c > 0) used++;
  return used / k;
}
