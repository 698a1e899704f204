import { addCenteredGram, symmetrizeFromUpper } from '../linalg/dense.js';
import { toRowMajor, type FeatureMatrix } from './feature-matrix.js';

/** JSON-serialisable state of a {@link GaussianStatsAccumulator}: count, mean and centred co-moment (d×d, row-major). */
export interface GaussianStatsState {
  /** Number of samples seen. */
  n: number;
  /** Feature dimension (0 before the first sample). */
  dim: number;
  /** Running mean, length `dim`. */
  mean: number[];
  /** Centred co-moment `Σ (x−μ)(x−μ)ᵀ`, `dim·dim` values, row-major, symmetric. */
  comoment: number[];
}

/** Mean and unbiased covariance of a feature set. */
export interface GaussianStats {
  /** Mean vector, length d. */
  mu: Float64Array;
  /** Unbiased covariance (divide by n−1), row-major d×d. */
  sigma: Float64Array;
  /** Number of samples. */
  n: number;
  /** Dimension d. */
  dim: number;
}

/**
 * Streaming float64 mean and covariance of feature rows. Each batch's co-moment is computed around the batch mean
 * (a blocked `XᵀX`) and folded in with the pairwise update of Chan et al., so batches, shards and saved states all
 * combine exactly: streaming over any batch split equals the statistics of the concatenated features.
 */
export class GaussianStatsAccumulator {
  private n = 0;
  private dim = 0;
  private mean: Float64Array = new Float64Array(0);
  /** Upper triangle is authoritative. */
  private comoment: Float64Array = new Float64Array(0);

  /** Forget all samples. */
  reset(): void {
    this.n = 0;
    this.dim = 0;
    this.mean = new Float64Array(0);
    this.comoment = new Float64Array(0);
  }

  /** Number of samples so far. */
  get count(): number {
    return this.n;
  }

  /** Add a batch of feature rows `[b,d]`. */
  update(features: FeatureMatrix): void {
    const { data, rows, cols } = toRowMajor(features);
    this.addRows(data, rows, cols);
  }

  /** Add `rows` feature rows from a row-major buffer of `rows·cols` values. */
  addRows(data: ArrayLike<number>, rows: number, cols: number): void {
    if (rows === 0) return;
    const x = data instanceof Float64Array ? data : Float64Array.from(data);
    const mean = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    const M = new Float64Array(cols * cols);
    addCenteredGram(x, rows, cols, mean, M);
    this.fold(rows, cols, mean, M);
  }

  /** Fold a state (from {@link GaussianStatsAccumulator.state} of another shard) into this one. */
  merge(other: GaussianStatsState): void {
    if (other.n === 0) return;
    if (other.mean.length !== other.dim || other.comoment.length !== other.dim * other.dim) {
      throw new Error(`GaussianStatsState: mean must have dim=${other.dim} values and comoment dim² values`);
    }
    this.fold(other.n, other.dim, Float64Array.from(other.mean), Float64Array.from(other.comoment));
  }

  private fold(nb: number, dim: number, meanB: Float64Array, Mb: Float64Array): void {
    if (this.n === 0) {
      this.n = nb;
      this.dim = dim;
      this.mean = meanB;
      this.comoment = Mb;
      return;
    }
    if (dim !== this.dim) throw new Error(`GaussianStatsAccumulator: feature dimension ${dim} differs from ${this.dim}`);
    const na = this.n;
    const n = na + nb;
    const delta = new Float64Array(dim);
    for (let c = 0; c < dim; c++) delta[c] = meanB[c] - this.mean[c];
    const w = (na * nb) / n;
    const A = this.comoment;
    for (let i = 0; i < dim; i++) {
      const di = delta[i] * w;
      const row = i * dim;
      for (let j = i; j < dim; j++) A[row + j] += Mb[row + j] + di * delta[j];
    }
    for (let c = 0; c < dim; c++) this.mean[c] += (delta[c] * nb) / n;
    this.n = n;
  }

  /** JSON-serialisable snapshot. */
  state(): GaussianStatsState {
    const M = Float64Array.from(this.comoment);
    symmetrizeFromUpper(M, this.dim);
    return { n: this.n, dim: this.dim, mean: Array.from(this.mean), comoment: Array.from(M) };
  }

  /**
   * Mean and unbiased covariance.
   * @throws Error with fewer than 2 samples.
   */
  stats(): GaussianStats {
    if (this.n < 2) throw new Error(`GaussianStatsAccumulator: need at least 2 samples for a covariance, have ${this.n}`);
    const d = this.dim;
    const sigma = new Float64Array(d * d);
    const inv = 1 / (this.n - 1);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = this.comoment[i * d + j] * inv;
        sigma[i * d + j] = v;
        sigma[j * d + i] = v;
      }
    }
    return { mu: Float64Array.from(this.mean), sigma, n: this.n, dim: d };
  }
}

/** Mean and unbiased covariance of a whole feature matrix `[n,d]`. */
export function gaussianStats(features: FeatureMatrix): GaussianStats {
  const acc = new GaussianStatsAccumulator();
  acc.update(features);
  return acc.stats();
}
