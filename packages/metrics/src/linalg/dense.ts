import { wasmRowDots, type KStartMode } from './wasm-kernel.js';

export type { KStartMode } from './wasm-kernel.js';

/**
 * Float64 dense kernels on row-major `Float64Array`s, written for the sizes FID needs (d = 2048): a register-blocked
 * "dot of rows" product, a symmetric Gram accumulation and a semidefinite Cholesky factorisation. Plain loops;
 * blocking keeps the working set in cache so V8's scalar code runs near its peak.
 */

/** Block length along the summed dimension; 8 rows of this many float64 values fit in L1. */
const K_BLOCK = 256;

/**
 * `C[i][j] += Σ_k P[i][k]·Q[j][k]` for rows of `P` (`m×k`) and `Q` (`n×k`), i.e. `C += P·Qᵀ` (`m×n`).
 * With `upperOnly` only entries with `j ≥ i` are guaranteed (for symmetric results, `P === Q`); a few entries just
 * below the diagonal may also be written. Uses a 4×4 register block.
 * Runs the WebAssembly SIMD kernel when available (`useWasm`), else a JS loop blocked along `k`.
 * @param kStart where each 4×4 block starts summing: `none` (0), `col` (the block's first column index j — for
 *   `Q` holding the columns of a lower-triangular matrix), `row` (its first row index i — for `P` likewise).
 */
export function addRowDots(
  P: Float64Array,
  Q: Float64Array,
  C: Float64Array,
  m: number,
  n: number,
  k: number,
  upperOnly = false,
  kStart: KStartMode = 'none',
  useWasm = true,
): void {
  if (useWasm && wasmRowDots(P, Q, C, m, n, k, upperOnly, kStart)) return;
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    for (let i = 0; i < m; i += 4) {
      const fullI = i + 3 < m;
      for (let j = upperOnly ? i : 0; j < n; j += 4) {
        const s = Math.max(k0, kStart === 'col' ? j : kStart === 'row' ? i : 0);
        if (s >= k1) continue;
        if (fullI && j + 3 < n) block44(P, Q, C, i, j, n, k, s, k1);
        else blockEdge(P, Q, C, i, j, m, n, k, s, k1);
      }
    }
  }
}

function block44(
  P: Float64Array, Q: Float64Array, C: Float64Array, i: number, j: number, n: number, k: number, s: number, e: number,
): void {
  const p0 = i * k, p1 = p0 + k, p2 = p1 + k, p3 = p2 + k;
  const q0 = j * k, q1 = q0 + k, q2 = q1 + k, q3 = q2 + k;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let t = s; t < e; t++) {
    const a0 = P[p0 + t], a1 = P[p1 + t], a2 = P[p2 + t], a3 = P[p3 + t];
    const b0 = Q[q0 + t], b1 = Q[q1 + t], b2 = Q[q2 + t], b3 = Q[q3 + t];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  let r = i * n + j;
  C[r] += c00; C[r + 1] += c01; C[r + 2] += c02; C[r + 3] += c03; r += n;
  C[r] += c10; C[r + 1] += c11; C[r + 2] += c12; C[r + 3] += c13; r += n;
  C[r] += c20; C[r + 1] += c21; C[r + 2] += c22; C[r + 3] += c23; r += n;
  C[r] += c30; C[r + 1] += c31; C[r + 2] += c32; C[r + 3] += c33;
}

function blockEdge(
  P: Float64Array, Q: Float64Array, C: Float64Array, i: number, j: number, m: number, n: number, k: number, s: number,
  e: number,
): void {
  for (let ii = i; ii < Math.min(m, i + 4); ii++) {
    for (let jj = j; jj < Math.min(n, j + 4); jj++) {
      let acc = 0;
      const p = ii * k, q = jj * k;
      for (let t = s; t < e; t++) acc += P[p + t] * Q[q + t];
      C[ii * n + jj] += acc;
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
  const SB = 1024; // samples per block: amortises the kernel's copy of M
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
