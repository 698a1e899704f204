// One AdamW update over float32 parameters with float64 intermediates, two lanes at a time (wasm SIMD128 f64x2):
//   m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²;  p' = p·decay − stepSize·m' / (√v' / bias2Sqrt + eps)
// each rounded once to float32 on store. The operations and their order are those of the JS loop in
// packages/core/src/optim/adamw-kernel.ts (IEEE double arithmetic, no fused operations), so results are bit-identical.
// Build: packages/core/native/build.sh.
#include <wasm_simd128.h>

// Two float32 lanes (the low half of a vector) to float64.
static inline v128_t load2(const float* p) { return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p)); }

static inline void store2(float* p, v128_t v) { wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(v), 0); }

__attribute__((export_name("adamw_f32")))
void adamw_f32(const float* p, const float* m, const float* v, const float* g, float* p_out, float* m_out, float* v_out,
               int n, double decay, double beta1, double beta2, double step_size, double bias2_sqrt, double eps) {
  const double c1 = 1 - beta1, c2 = 1 - beta2;
  const v128_t vdecay = wasm_f64x2_splat(decay), vb1 = wasm_f64x2_splat(beta1), vb2 = wasm_f64x2_splat(beta2);
  const v128_t vc1 = wasm_f64x2_splat(c1), vc2 = wasm_f64x2_splat(c2), vstep = wasm_f64x2_splat(step_size);
  const v128_t vbias = wasm_f64x2_splat(bias2_sqrt), veps = wasm_f64x2_splat(eps);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    const v128_t gi = load2(g + i);
    const v128_t mi = wasm_f64x2_add(wasm_f64x2_mul(vb1, load2(m + i)), wasm_f64x2_mul(vc1, gi));
    const v128_t vi = wasm_f64x2_add(wasm_f64x2_mul(vb2, load2(v + i)), wasm_f64x2_mul(wasm_f64x2_mul(vc2, gi), gi));
    store2(m_out + i, mi);
    store2(v_out + i, vi);
    const v128_t den = wasm_f64x2_add(wasm_f64x2_div(wasm_f64x2_sqrt(vi), vbias), veps);
    store2(p_out + i, wasm_f64x2_sub(wasm_f64x2_mul(load2(p + i), vdecay), wasm_f64x2_div(wasm_f64x2_mul(vstep, mi), den)));
  }
  for (; i < n; i++) {
    const double gi = g[i];
    const double mi = beta1 * m[i] + c1 * gi;
    const double vi = beta2 * v[i] + c2 * gi * gi;
    m_out[i] = (float)mi;
    v_out[i] = (float)vi;
    p_out[i] = (float)(p[i] * decay - (step_size * mi) / (__builtin_sqrt(vi) / bias2_sqrt + eps));
  }
}
