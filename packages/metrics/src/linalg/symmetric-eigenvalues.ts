import { wasmTridiagonalize } from './wasm-kernel.js';

/**
 * Eigenvalues (no vectors) of a dense symmetric float64 matrix: Householder reduction to tridiagonal form, then the
 * implicit QL iteration with Wilkinson-type shifts. About `2n³` flops, versus ~`9n³` for a full decomposition with
 * vectors; FID at d = 2048 needs only the eigenvalues of one symmetric matrix (see `frechet.ts`).
 */

/**
 * Eigenvalues of the symmetric `n×n` row-major matrix `A` (unsorted). `A` is overwritten (JS path) or left as is
 * (WebAssembly path, which reduces a copy).
 * @param useWasm run the reduction in the WebAssembly kernel when available. @default true
 * @throws Error when the QL iteration does not converge (non-finite input).
 */
export function symmetricEigenvalues(A: Float64Array, n: number, useWasm = true): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (!(useWasm && wasmTridiagonalize(A, n, d, e))) tridiagonalize(A, n, d, e);
  tridiagonalQl(d, e);
  return d;
}

/**
 * Reduce symmetric `A` to tridiagonal form: diagonal into `d`, sub-diagonal into `e[0..n-2]`. Reads and updates
 * only the upper triangle (row-contiguous), which halves the memory traffic of the full-matrix form.
 */
function tridiagonalize(A: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m0 = k + 1; // first row/col of the trailing block
    const rowK = k * n;
    d[k] = A[rowK + k];
    let norm2 = 0;
    for (let j = m0; j < n; j++) norm2 += A[rowK + j] * A[rowK + j];
    const norm = Math.sqrt(norm2);
    if (norm === 0) {
      e[k] = 0;
      continue;
    }
    const x0 = A[rowK + m0];
    const alpha = x0 > 0 ? -norm : norm;
    e[k] = alpha;
    // Householder vector v = x − alpha·e1, normalised.
    let vn2 = 0;
    for (let j = m0; j < n; j++) {
      v[j] = A[rowK + j] - (j === m0 ? alpha : 0);
      vn2 += v[j] * v[j];
    }
    const inv = 1 / Math.sqrt(vn2);
    for (let j = m0; j < n; j++) {
      v[j] *= inv;
      w[j] = 0;
    }
    // p = A'v from the upper triangle, K = vᵀp, w = p − K v;  A' ← A' − 2(v wᵀ + w vᵀ)
    for (let i = m0; i < n; i++) {
      const row = i * n;
      const vi = v[i];
      let s = A[row + i] * vi;
      for (let j = i + 1; j < n; j++) {
        const a = A[row + j];
        s += a * v[j];
        w[j] += a * vi;
      }
      w[i] += s;
    }
    let K = 0;
    for (let i = m0; i < n; i++) K += v[i] * w[i];
    for (let i = m0; i < n; i++) w[i] -= K * v[i];
    for (let i = m0; i < n; i++) {
      const row = i * n;
      const vi2 = 2 * v[i];
      const wi2 = 2 * w[i];
      for (let j = i; j < n; j++) A[row + j] -= vi2 * w[j] + wi2 * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + (n - 2)];
    e[n - 2] = A[(n - 2) * n + (n - 1)];
  }
  if (n >= 1) {
    d[n - 1] = A[(n - 1) * n + (n - 1)];
    e[n - 1] = 0;
  }
}

/** Implicit QL on a symmetric tridiagonal matrix (`d` diagonal, `e[i]` couples i and i+1); eigenvalues into `d`. */
function tridiagonalQl(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 100) throw new Error('symmetricEigenvalues: QL iteration did not converge (non-finite input?)');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
        let s = 1, c = 1, p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i];
          const b = c * e[i];
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] -= p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (underflow) continue;
        d[l] -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}
