// LayerNorm with affine over the last axis of float32 [rows, d], forward and backward, with wasm SIMD128 in float64.
// Same math as packages/core/src/backend/wasm/layer-norm-math.ts (the reference), carried out in float64 just like
// the JS numbers there, so the results agree to the last float32 bit except where the sums' order differs (two
// float64 lanes here, one running sum there):
//   forward  μ = Σx/d, r = 1/√(Σ(x − μ)²/d + eps), y = (x − μ)·r·γ + β; μ and r are written rounded to float32.
//   backward (with the float32 μ, r of the forward) x̂ = (x − μ)·r, g = dy·γ,
//            dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
// Elements are taken two at a time (one float64 lane each); an odd last element is done with scalar code.
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
#include <wasm_simd128.h>

// Two floats at p as float64 lanes.
static inline v128_t load2(const float* p) { return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p)); }

// Stores two float64 lanes at p as floats.
static inline void store2(float* p, v128_t v) { wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(v), 0); }

static inline double lanes_sum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

__attribute__((export_name("layer_norm_forward")))
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int rows, int d, double eps) {
  const int pairs = d & ~1;
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (long)r * d;
    float* yr = y + (long)r * d;
    v128_t s = wasm_f64x2_splat(0.0);
    for (int j = 0; j < pairs; j += 2) s = wasm_f64x2_add(s, load2(xr + j));
    double sum = lanes_sum(s);
    if (pairs < d) sum += (double)xr[pairs];
    const double mu = sum / d;
    const v128_t vmu = wasm_f64x2_splat(mu);
    v128_t q = wasm_f64x2_splat(0.0);
    for (int j = 0; j < pairs; j += 2) {
      const v128_t c = wasm_f64x2_sub(load2(xr + j), vmu);
      q = wasm_f64x2_add(q, wasm_f64x2_mul(c, c));
    }
    double sq = lanes_sum(q);
    if (pairs < d) {
      const double c = (double)xr[pairs] - mu;
      sq += c * c;
    }
    const double rs = 1.0 / __builtin_sqrt(sq / d + eps);
    mean[r] = (float)mu;
    rstd[r] = (float)rs;
    const v128_t vrs = wasm_f64x2_splat(rs);
    for (int j = 0; j < pairs; j += 2) {
      const v128_t xh = wasm_f64x2_mul(wasm_f64x2_sub(load2(xr + j), vmu), vrs);
      store2(yr + j, wasm_f64x2_add(wasm_f64x2_mul(xh, load2(gamma + j)), load2(beta + j)));
    }
    if (pairs < d) yr[pairs] = (float)(((double)xr[pairs] - mu) * rs * (double)gamma[pairs] + (double)beta[pairs]);
  }
}

// scratch: 2·d float64 (dγ and dβ accumulators), 16-byte aligned.
__attribute__((export_name("layer_norm_backward")))
void layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, double* scratch, int rows, int d) {
  const int pairs = d & ~1;
  double* dg = scratch;
  double* db = scratch + d;
  for (int j = 0; j < 2 * d; j++) scratch[j] = 0.0;
  for (int r = 0; r < rows; r++) {
    const long o = (long)r * d;
    const double mu = mean[r], rs = rstd[r];
    const v128_t vmu = wasm_f64x2_splat(mu), vrs = wasm_f64x2_splat(rs);
    v128_t sg = wasm_f64x2_splat(0.0), sgx = wasm_f64x2_splat(0.0);
    for (int j = 0; j < pairs; j += 2) {
      const v128_t xh = wasm_f64x2_mul(wasm_f64x2_sub(load2(x + o + j), vmu), vrs);
      const v128_t dyj = load2(dy + o + j);
      const v128_t g = wasm_f64x2_mul(dyj, load2(gamma + j));
      sg = wasm_f64x2_add(sg, g);
      sgx = wasm_f64x2_add(sgx, wasm_f64x2_mul(g, xh));
      wasm_v128_store(dg + j, wasm_f64x2_add(wasm_v128_load(dg + j), wasm_f64x2_mul(dyj, xh)));
      wasm_v128_store(db + j, wasm_f64x2_add(wasm_v128_load(db + j), dyj));
    }
    double sum_g = lanes_sum(sg), sum_gx = lanes_sum(sgx);
    if (pairs < d) {
      const int j = pairs;
      const double xh = ((double)x[o + j] - mu) * rs, dyj = dy[o + j], g = dyj * (double)gamma[j];
      sum_g += g;
      sum_gx += g * xh;
      dg[j] += dyj * xh;
      db[j] += dyj;
    }
    const double mean_g = sum_g / d, mean_gx = sum_gx / d;
    const v128_t vmg = wasm_f64x2_splat(mean_g), vmgx = wasm_f64x2_splat(mean_gx);
    for (int j = 0; j < pairs; j += 2) {
      const v128_t xh = wasm_f64x2_mul(wasm_f64x2_sub(load2(x + o + j), vmu), vrs);
      const v128_t g = wasm_f64x2_mul(load2(dy + o + j), load2(gamma + j));
      store2(dx + o + j, wasm_f64x2_mul(vrs, wasm_f64x2_sub(wasm_f64x2_sub(g, vmg), wasm_f64x2_mul(xh, vmgx))));
    }
    if (pairs < d) {
      const int j = pairs;
      const double xh = ((double)x[o + j] - mu) * rs;
      dx[o + j] = (float)(rs * ((double)dy[o + j] * (double)gamma[j] - mean_g - xh * mean_gx));
    }
  }
  for (int j = 0; j < d; j++) {
    dgamma[j] = (float)dg[j];
    dbeta[j] = (float)db[j];
  }
}
