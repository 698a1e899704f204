/**
 * Float64 dense kernels on row-major `Float64Array`s, written for the sizes FID needs (d = 2048): a register-blocked
 * "dot of rows" product, a symmetric Gram accumulation and a semidefinite Cholesky factorisation. Plain loops;
 * blocking keeps the working set in cache so V8's scalar code runs near its peak.
 */

/** Block length along the summed dimension; 8 rows of this many float64 values fit in L1. */
const K_BLOCK = 256;

/**
 * `C[i][j] += Σ_k P[i][k]·Q[j][k]` for rows of `P` (`m×k`) and `Q` (`n×k`), i.e. `C += P·Qᵀ` (`m×n`).
 * With `upperOnly` only entries with `j ≥ i` are computed (for symmetric results, `P === Q`).
 * @param kStart first summed index per row pair is `max(kStart(i, j), 0)`; used to skip known zeros of triangles.
 */
export function addRowDots(
  P: Float64Array,
  Q: Float64Array,
  C: Float64Array,
  m: number,
  n: number,
  k: number,
  upperOnly = false,
  kStart?: (i: number, j: number) => number,
): void {
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    for (let i = 0; i < m; i += 2) {
      const twoI = i + 1 < m;
      const pi0 = i * k;
      const pi1 = (i + 1) * k;
      let j = upperOnly ? i - (i % 2) : 0;
      for (; j < n; j += 2) {
        const twoJ = j + 1 < n;
        const qj0 = j * k;
        const qj1 = (j + 1) * k;
        let s = k0;
        if (kStart) s = Math.max(k0, Math.min(kStart(i, j), kStart(i, j + 1)));
        let c00 = 0, c01 = 0, c10 = 0, c11 = 0;
        if (twoI && twoJ) {
          for (let t = s; t < k1; t++) {
            const a0 = P[pi0 + t], a1 = P[pi1 + t], b0 = Q[qj0 + t], b1 = Q[qj1 + t];
            c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
          }
        } else {
          for (let t = s; t < k1; t++) {
            const a0 = P[pi0 + t], a1 = twoI ? P[pi1 + t] : 0, b0 = Q[qj0 + t], b1 = twoJ ? Q[qj1 + t] : 0;
            c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
          }
        }
        C[i * n + j] += c00;
        if (twoJ) C[i * n + j + 1] += c01;
        if (twoI) {
          C[(i + 1) * n + j] += c10;
          if (twoJ) C[(i + 1) * n + j + 1] += c11;
        }
      }
    }
  }
}

/** Transpose of a row-major `rows×cols` matrix. */
export function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    for (let c0 = 0; c0 < cols; c0 += B) {
      const r1 = Math.min(rows, r0 + B), c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) T[c * rows + r] = A[r * cols + c];
    }
  }
  return T;
}

/** Copy the upper triangle of a square `n×n` matrix onto its lower triangle, in place. */
export function symmetrizeFromUpper(A: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[j * n + i] = A[i * n + j];
}

/**
 * Add the centred co-moment `Σ_b (x_b − mean)(x_b − mean)ᵀ` of `rows` samples (`rows×d`, row-major) to the upper
 * triangle of `M` (`d×d`). Blocks over samples so each block's columns stay in cache.
 */
export function addCenteredGram(X: Float64Array, rows: number, d: number, mean: Float64Array, M: Float64Array): void {
  const SB = K_BLOCK;
  for (let r0 = 0; r0 < rows; r0 += SB) {
    const r1 = Math.min(rows, r0 + SB);
    const b = r1 - r0;
    // Columns of the centred block as contiguous rows (d×b).
    const T = new Float64Array(d * b);
    for (let r = r0; r < r1; r++) {
      const off = r * d;
      for (let c = 0; c < d; c++) T[c * b + (r - r0)] = X[off + c] - mean[c];
    }
    addRowDots(T, T, M, d, d, b, true);
  }
}

/**
 * Semidefinite Cholesky factor `G` (lower triangular, row-major) with `A ≈ G·Gᵀ` for a symmetric positive
 * semidefinite `A`. A pivot at or below `tol · max(diag A)` is treated as zero and its column dropped, so
 * rank-deficient covariances factor without error. Returns `undefined` when a non-finite value appears.
 */
export function semidefiniteCholesky(A: Float64Array, n: number, tol = 1e-13): Float64Array | undefined {
  const G = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, A[i * n + i]);
  const threshold = tol * maxDiag;
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let dj = A[rowJ + j];
    for (let k = 0; k < j; k++) dj -= G[rowJ + k] * G[rowJ + k];
    if (!Number.isFinite(dj)) return undefined;
    if (dj <= threshold) continue; // column j stays zero
    const gjj = Math.sqrt(dj);
    G[rowJ + j] = gjj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = A[rowI + j];
      for (let k = 0; k < j; k++) s -= G[rowI + k] * G[rowJ + k];
      G[rowI + j] = s / gjj;
    }
  }
  return G;
}
