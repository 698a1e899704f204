// Float64 "dot products of rows" kernel for @ifsq/metrics (FID covariance and Fréchet products), WebAssembly SIMD.
// C[i*n + j] += sum_{t in [start, k)} P[i*k + t] * Q[j*k + t], 4x4 register blocks of f64x2 accumulators.
//   upper != 0: only blocks with j >= i (symmetric results).
//   kmode 0: start = 0; 1: start = j (block's first column, for a lower-triangular Q^T); 2: start = i.
// Build: see build.sh (clang 14, --target=wasm32 -msimd128 -O3); the binary is embedded in src/linalg/wasm-kernel.ts.
#include <wasm_simd128.h>

static inline double hsum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

static void edge(const double* P, const double* Q, double* C, int i, int j, int m, int n, int k, int s) {
  for (int ii = i; ii < i + 4 && ii < m; ii++)
    for (int jj = j; jj < j + 4 && jj < n; jj++) {
      double acc = 0;
      for (int t = s; t < k; t++) acc += P[ii * k + t] * Q[jj * k + t];
      C[ii * n + jj] += acc;
    }
}

void row_dots(const double* P, const double* Q, double* C, int m, int n, int k, int upper, int kmode) {
  for (int i = 0; i < m; i += 4) {
    for (int j = upper ? i : 0; j < n; j += 4) {
      int s = kmode == 1 ? j : (kmode == 2 ? i : 0);
      if (s >= k) continue;
      if (i + 3 >= m || j + 3 >= n) { edge(P, Q, C, i, j, m, n, k, s); continue; }
      const double *p0 = P + i * k, *p1 = p0 + k, *p2 = p1 + k, *p3 = p2 + k;
      const double *q0 = Q + j * k, *q1 = q0 + k, *q2 = q1 + k, *q3 = q2 + k;
      v128_t c00 = wasm_f64x2_splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      v128_t c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
      int t = s;
      for (; t + 1 < k; t += 2) {
        v128_t a0 = wasm_v128_load(p0 + t), a1 = wasm_v128_load(p1 + t), a2 = wasm_v128_load(p2 + t), a3 = wasm_v128_load(p3 + t);
        v128_t b0 = wasm_v128_load(q0 + t), b1 = wasm_v128_load(q1 + t), b2 = wasm_v128_load(q2 + t), b3 = wasm_v128_load(q3 + t);
        c00 = wasm_f64x2_add(c00, wasm_f64x2_mul(a0, b0)); c01 = wasm_f64x2_add(c01, wasm_f64x2_mul(a0, b1));
        c02 = wasm_f64x2_add(c02, wasm_f64x2_mul(a0, b2)); c03 = wasm_f64x2_add(c03, wasm_f64x2_mul(a0, b3));
        c10 = wasm_f64x2_add(c10, wasm_f64x2_mul(a1, b0)); c11 = wasm_f64x2_add(c11, wasm_f64x2_mul(a1, b1));
        c12 = wasm_f64x2_add(c12, wasm_f64x2_mul(a1, b2)); c13 = wasm_f64x2_add(c13, wasm_f64x2_mul(a1, b3));
        c20 = wasm_f64x2_add(c20, wasm_f64x2_mul(a2, b0)); c21 = wasm_f64x2_add(c21, wasm_f64x2_mul(a2, b1));
        c22 = wasm_f64x2_add(c22, wasm_f64x2_mul(a2, b2)); c23 = wasm_f64x2_add(c23, wasm_f64x2_mul(a2, b3));
        c30 = wasm_f64x2_add(c30, wasm_f64x2_mul(a3, b0)); c31 = wasm_f64x2_add(c31, wasm_f64x2_mul(a3, b1));
        c32 = wasm_f64x2_add(c32, wasm_f64x2_mul(a3, b2)); c33 = wasm_f64x2_add(c33, wasm_f64x2_mul(a3, b3));
      }
      double r[16] = {hsum(c00), hsum(c01), hsum(c02), hsum(c03), hsum(c10), hsum(c11), hsum(c12), hsum(c13),
                      hsum(c20), hsum(c21), hsum(c22), hsum(c23), hsum(c30), hsum(c31), hsum(c32), hsum(c33)};
      for (; t < k; t++) {
        const double a[4] = {p0[t], p1[t], p2[t], p3[t]}, b[4] = {q0[t], q1[t], q2[t], q3[t]};
        for (int x = 0; x < 4; x++) for (int y = 0; y < 4; y++) r[x * 4 + y] += a[x] * b[y];
      }
      for (int x = 0; x < 4; x++) for (int y = 0; y < 4; y++) C[(i + x) * n + j + y] += r[x * 4 + y];
    }
  }
}
