/** Mergeable running sum state for per-image metric values. */
export interface MeanState {
  /** Sum of values. */
  sum: number;
  /** Sum of squared values. */
  sumSq: number;
  /** Number of values. */
  count: number;
}

/** An empty {@link MeanState}. */
export function emptyMean(): MeanState {
  return { sum: 0, sumSq: 0, count: 0 };
}

/** Add values to a state (in place). */
export function addValues(s: MeanState, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    s.sum += values[i];
    s.sumSq += values[i] * values[i];
    s.count++;
  }
}

/** Fold another state into `s` (in place). */
export function mergeMean(s: MeanState, o: MeanState): void {
  s.sum += o.sum;
  s.sumSq += o.sumSq;
  s.count += o.count;
}

/** Mean and population standard deviation of a state (NaN when empty). */
export function meanStd(s: MeanState): { mean: number; std: number } {
  if (s.count === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = s.sum / s.count;
  return { mean, std: Math.sqrt(Math.max(0, s.sumSq / s.count - mean * mean)) };
}

/** Throw a clear error when a batch lacks a field the metric needs. */
export function need<T>(value: T | undefined, metric: string, field: string): T {
  if (value === undefined) throw new Error(`${metric}: metric batch has no "${field}" field, which this metric needs`);
  return value;
}
