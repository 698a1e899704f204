import { toRowMajor, type FeatureMatrix } from '../fid/feature-matrix.js';

/** Options of {@link cknna}. */
export interface CknnaOptions {
  /** Number of nearest neighbours per row (≥ 2, < n). Required: the reference crashes without it. */
  topk: number;
  /**
   * L2-normalise every row before the inner products (what the platonic-representation driver does; iFSQ's usage
   * does not).
   * @default false
   */
  normalize?: boolean;
}

function gram(x: { data: Float64Array; rows: number; cols: number }, normalize: boolean): Float64Array {
  const { rows: n, cols: d } = x;
  const data = Float64Array.from(x.data);
  if (normalize) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += data[i * d + c] ** 2;
      const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
      for (let c = 0; c < d; c++) data[i * d + c] *= inv;
    }
  }
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += data[i * d + c] * data[j * d + c];
      K[i * n + j] = s;
      K[j * n + i] = s;
    }
  }
  return K;
}

/** Row-wise top-k mask of `K` with the diagonal excluded: `mask[i·n+j] = 1` when j is among i's k largest. */
function topkMask(K: Float64Array, n: number, k: number): Uint8Array {
  const mask = new Uint8Array(n * n);
  const order = new Array<number>(n - 1);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let j = 0; j < n; j++) if (j !== i) order[p++] = j;
    order.sort((a, b) => K[i * n + b] - K[i * n + a]);
    for (let t = 0; t < k; t++) mask[i * n + order[t]] = 1;
  }
  return mask;
}

/** Unbiased HSIC of `mask⊙K` and `mask⊙L` with zeroed diagonals (Song et al. 2012 estimator). */
function maskedHsic(K: Float64Array, L: Float64Array, mask: Uint8Array, m: number): number {
  const Kt = new Float64Array(m * m);
  const Lt = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i === j || !mask[i * m + j]) continue;
      Kt[i * m + j] = K[i * m + j];
      Lt[i * m + j] = L[i * m + j];
    }
  }
  let cross = 0; // Σ_ij K̃_ij L̃_ji
  let sumK = 0;
  let sumL = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      cross += Kt[i * m + j] * Lt[j * m + i];
      sumK += Kt[i * m + j];
      sumL += Lt[i * m + j];
    }
  }
  // Σ of all entries of K̃L̃ = Σ_k (column sum of K̃)_k · (row sum of L̃)_k
  let sumProduct = 0;
  for (let k = 0; k < m; k++) {
    let col = 0;
    let row = 0;
    for (let i = 0; i < m; i++) {
      col += Kt[i * m + k];
      row += Lt[k * m + i];
    }
    sumProduct += col * row;
  }
  return (cross + (sumK * sumL) / ((m - 1) * (m - 2)) - (2 * sumProduct) / (m - 2)) / (m * (m - 3));
}

/**
 * Centered kernel nearest-neighbour alignment (Huh et al. 2024, spec §9.7) between two representations of the same
 * `n` samples: unbiased HSIC of the linear kernels restricted to mutual k-nearest neighbours, normalised by the
 * self-similarities (+1e-6 in the denominator, as in the reference). Ties in the neighbour ranking are broken by
 * index order.
 *
 * @param a `[n, d_a]` features
 * @param b `[n, d_b]` features of the same samples
 * @example
 * ```ts
 * cknna(llmHidden, dinoFeatures, { topk: 10 }); // in [−1, 1], 1 = same neighbourhood structure
 * ```
 */
export function cknna(a: FeatureMatrix, b: FeatureMatrix, options: CknnaOptions): number {
  const A = toRowMajor(a, 'cknna a');
  const B = toRowMajor(b, 'cknna b');
  const n = A.rows;
  if (B.rows !== n) throw new Error(`cknna: a has ${n} rows but b has ${B.rows}; both must describe the same samples`);
  if (n < 4) throw new Error(`cknna: needs at least 4 samples, got ${n}`);
  const k = options?.topk;
  if (!Number.isInteger(k) || k < 2 || k >= n) {
    throw new Error(`cknna: option topk is required and must be an integer in [2, n−1] = [2, ${n - 1}], got ${String(k)}`);
  }
  const normalize = options.normalize ?? false;
  const K = gram(A, normalize);
  const L = gram(B, normalize);
  const mK = topkMask(K, n, k);
  const mL = topkMask(L, n, k);
  const both = new Uint8Array(n * n);
  for (let i = 0; i < n * n; i++) both[i] = mK[i] & mL[i];
  const kl = maskedHsic(K, L, both, n);
  const kk = maskedHsic(K, K, mK, n);
  const ll = maskedHsic(L, L, mL, n);
  return kl / (Math.sqrt(kk * ll) + 1e-6);
}
