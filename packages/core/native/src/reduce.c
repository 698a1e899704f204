// Sums over a middle axis with wasm SIMD128, accumulated in float64:
//   out[o, i] = (Σ_m x[o, m, i]) / divisor   for x of shape [outer, mid, inner] (row-major float32).
// Used for Sum/Mean over leading or middle axes (bias gradients: [rows, C] → [C]), where tfjs-wasm transposes first.
// Same contract as the JS loop of packages/core/src/backend/wasm/reduce-kernels.ts, but every sum is exact to
// float64 before the one rounding to float32 (the JS loop rounds to float32 after every addition).
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
#include <wasm_simd128.h>

// acc[i] += x[i] for i < n, x float32 and acc float64 (both 16-byte aligned when i is a multiple of 4).
static void add_row(double* acc, const float* x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(x + i + 4);
    double* p = acc + i;
    wasm_v128_store(p, wasm_f64x2_add(wasm_v128_load(p), wasm_f64x2_promote_low_f32x4(a)));
    wasm_v128_store(p + 2, wasm_f64x2_add(wasm_v128_load(p + 2),
                                          wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(a, a, 1, 0))));
    wasm_v128_store(p + 4, wasm_f64x2_add(wasm_v128_load(p + 4), wasm_f64x2_promote_low_f32x4(b)));
    wasm_v128_store(p + 6, wasm_f64x2_add(wasm_v128_load(p + 6),
                                          wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(b, b, 1, 0))));
  }
  for (; i < n; i++) acc[i] += (double)x[i];
}

// scratch: inner float64 accumulators (8·inner bytes, 16-byte aligned).
__attribute__((export_name("sum_middle")))
void sum_middle(const float* x, float* out, double* scratch, int outer, int mid, int inner, double divisor) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) scratch[i] = 0.0;
    const float* row = x + (long)o * mid * inner;
    for (int m = 0; m < mid; m++, row += inner) add_row(scratch, row, inner);
    float* dst = out + (long)o * inner;
    for (int i = 0; i < inner; i++) dst[i] = (float)(scratch[i] / divisor);
  }
}
