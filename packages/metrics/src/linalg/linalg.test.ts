import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { addCenteredGram, addRowDots, semidefiniteCholesky } from './dense.js';
import { symmetricEigenvalues } from './symmetric-eigenvalues.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32 - 0.5);
}

describe('dense float64 kernels', () => {
  it.each([true, false])('addRowDots equals the naive P·Qᵀ on odd sizes (wasm %s)', (useWasm) => {
    const r = rand(1);
    const m = 7, n = 9, k = 301;
    const P = Float64Array.from({ length: m * k }, r);
    const Q = Float64Array.from({ length: n * k }, r);
    const C = new Float64Array(m * n);
    addRowDots(P, Q, C, m, n, k, false, 'none', useWasm);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += P[i * k + t] * Q[j * k + t];
        expect(C[i * n + j]).toBeCloseTo(s, 12);
      }
    }
  });

  it.each(['col', 'row'] as const)('addRowDots skips the known zeros of triangular factors (kStart %s)', (mode) => {
    const r = rand(4);
    const n = 10;
    const L = new Float64Array(n * n); // rows of L: row i zero before... build so rows are zero before their index
    for (let i = 0; i < n; i++) for (let t = i; t < n; t++) L[i * n + t] = r();
    const F = Float64Array.from({ length: n * n }, r);
    const [P, Q] = mode === 'col' ? [F, L] : [L, F];
    const wasm = new Float64Array(n * n);
    const js = new Float64Array(n * n);
    const full = new Float64Array(n * n);
    addRowDots(P, Q, wasm, n, n, n, false, mode, true);
    addRowDots(P, Q, js, n, n, n, false, mode, false);
    addRowDots(P, Q, full, n, n, n, false, 'none', false);
    for (let i = 0; i < n * n; i++) {
      expect(wasm[i]).toBeCloseTo(full[i], 12);
      expect(js[i]).toBeCloseTo(full[i], 12);
    }
  });

  it('addCenteredGram gives the centred co-moment in the upper triangle', () => {
    const X = Float64Array.from([1, 2, 3, 5, 2, 0]); // 3 rows × 2 cols
    const mean = Float64Array.from([2, 7 / 3]);
    const M = new Float64Array(4);
    addCenteredGram(X, 3, 2, mean, M);
    expect(M[0]).toBeCloseTo(2, 14); // (−1)²+1²+0²
    expect(M[1]).toBeCloseTo(-1 * (2 - 7 / 3) + 1 * (5 - 7 / 3) + 0, 14);
  });

  it('semidefiniteCholesky reproduces a rank-deficient PSD matrix', () => {
    const r = rand(2);
    const n = 12, rank = 5;
    const B = Float64Array.from({ length: n * rank }, r);
    const A = new Float64Array(n * n);
    addRowDots(B, B, A, n, n, rank);
    const G = semidefiniteCholesky(A, n)!;
    const R = new Float64Array(n * n);
    addRowDots(G, G, R, n, n, n);
    for (let i = 0; i < n * n; i++) expect(R[i]).toBeCloseTo(A[i], 9);
  });

  it.each([true, false])('symmetricEigenvalues matches ml-matrix on a random symmetric matrix (wasm %s)', (useWasm) => {
    const r = rand(3);
    const n = 40;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = r();
    const expected = new EigenvalueDecomposition(Matrix.from1DArray(n, n, A), { assumeSymmetric: true }).realEigenvalues
      .slice()
      .sort((a, b) => a - b);
    const got = Array.from(symmetricEigenvalues(Float64Array.from(A), n, useWasm)).sort((a, b) => a - b);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(expected[i], 11);
  });

  it('symmetricEigenvalues handles diagonal and 1×1 matrices', () => {
    expect(Array.from(symmetricEigenvalues(Float64Array.from([3]), 1))).toEqual([3]);
    const got = Array.from(symmetricEigenvalues(Float64Array.from([2, 0, 0, 0, 5, 0, 0, 0, 1]), 3)).sort();
    expect(got).toEqual([1, 2, 5]);
  });
});
