/**
 * Kolmogorov–Smirnov distance of a sample to a continuous uniform distribution (spec §9.6), and its RMSE companion.
 */

/** Bounds of the uniform reference distribution. */
export interface UniformRange {
  /** Lower end of the support. @default -1 */
  low?: number;
  /** Upper end of the support. @default 1 */
  high?: number;
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < s.length; i++) {
    if (Number.isNaN(s[i])) throw new RangeError(`ksUniform: value at position ${i} is NaN`);
  }
  return s.sort();
}

function uniformCdf(low: number, high: number): (y: number) => number {
  if (!(high > low)) throw new RangeError(`ksUniform: high (${high}) must be greater than low (${low})`);
  const w = high - low;
  return (y) => Math.min(1, Math.max(0, (y - low) / w));
}

/**
 * Two-sided one-sample KS statistic against Uniform(low, high):
 * `D = max_i max(i/n − F(y_(i)), F(y_(i)) − (i−1)/n)` over the sorted sample. Equals SciPy's
 * `kstest(values, 'uniform', args=(low, high − low)).statistic`.
 *
 * @param values - Sample (e.g. the bounded, pre-rounding latent values).
 * @param range - Support of the uniform distribution. @default { low: -1, high: 1 }
 * @throws RangeError for an empty sample or NaN values.
 */
export function ksUniform(values: ArrayLike<number>, range: UniformRange = {}): number {
  const { low = -1, high = 1 } = range;
  const cdf = uniformCdf(low, high);
  const n = values.length;
  if (n === 0) throw new RangeError('ksUniform: the sample is empty');
  const s = sortedCopy(values);
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]);
    const plus = (i + 1) / n - f;
    const minus = f - i / n;
    if (plus > d) d = plus;
    if (minus > d) d = minus;
  }
  return d;
}

/**
 * Root-mean-square gap between the empirical CDF and the uniform CDF, evaluated at the sample points:
 * `sqrt(mean_i (i/n − F(y_(i)))²)` with `i` the 1-based rank in the sorted sample (our companion to
 * {@link ksUniform}, spec §9.6). Ties use the rank of the last tied element, i.e. the empirical CDF value.
 *
 * @param values - Sample.
 * @param range - Support of the uniform distribution. @default { low: -1, high: 1 }
 */
export function ksUniformRmse(values: ArrayLike<number>, range: UniformRange = {}): number {
  const { low = -1, high = 1 } = range;
  const cdf = uniformCdf(low, high);
  const n = values.length;
  if (n === 0) throw new RangeError('ksUniformRmse: the sample is empty');
  const s = sortedCopy(values);
  let acc = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && s[j + 1] === s[i]) j++;
    const gap = (j + 1) / n - cdf(s[i]);
    acc += (j - i + 1) * gap * gap;
    i = j + 1;
  }
  return Math.sqrt(acc / n);
}
