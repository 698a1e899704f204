// LayerNorm with affine over the last axis of float32 [rows, d], forward and backward, with wasm SIMD128 in float64.
// Same math as packages/core/src/backend/wasm/layer-norm-math.ts (the reference), carried out in float64 just like
// the JS numbers there, so the results agree to the last float32 bit except where the sums' order differs (four
// float64 partial sums here, one running sum there):
//   forward  μ = Σx/d, r = 1/√(Σ(x − μ)²/d + eps), y = (x − μ)·r·γ + β; μ and r are written rounded to float32.
//   backward (with the float32 μ, r of the forward) x̂ = (x − μ)·r, g = dy·γ,
//            dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
// Elements are taken four at a time (two float64 pairs); the last d mod 4 of a row are done with scalar code.
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
#include <wasm_simd128.h>

// Four floats at p as two float64 pairs: lanes 0–1 in *lo, lanes 2–3 in *hi.
static inline void load4(const float* p, v128_t* lo, v128_t* hi) {
  const v128_t v = wasm_v128_load(p);
  *lo = wasm_f64x2_promote_low_f32x4(v);
  *hi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0));
}

// Stores two float64 pairs at p as four floats.
static inline void store4(float* p, v128_t lo, v128_t hi) {
  const v128_t a = wasm_f32x4_demote_f64x2_zero(lo), b = wasm_f32x4_demote_f64x2_zero(hi);
  wasm_v128_store(p, wasm_i64x2_shuffle(a, b, 0, 2));
}

static inline double lanes_sum(v128_t a, v128_t b) {
  const v128_t s = wasm_f64x2_add(a, b);
  return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

__attribute__((export_name("layer_norm_forward")))
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int rows, int d, double eps) {
  const int quads = d & ~3;
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (long)r * d;
    float* yr = y + (long)r * d;
    // Two independent float64 pairs of partial sums keep the adds from waiting on each other.
    v128_t s0 = wasm_f64x2_splat(0.0), s1 = s0, lo, hi;
    for (int j = 0; j < quads; j += 4) {
      load4(xr + j, &lo, &hi);
      s0 = wasm_f64x2_add(s0, lo);
      s1 = wasm_f64x2_add(s1, hi);
    }
    double sum = lanes_sum(s0, s1);
    for (int j = quads; j < d; j++) sum += (double)xr[j];
    const double mu = sum / d;
    const v128_t vmu = wasm_f64x2_splat(mu);
    v128_t q0 = wasm_f64x2_splat(0.0), q1 = q0;
    for (int j = 0; j < quads; j += 4) {
      load4(xr + j, &lo, &hi);
      lo = wasm_f64x2_sub(lo, vmu);
      hi = wasm_f64x2_sub(hi, vmu);
      q0 = wasm_f64x2_add(q0, wasm_f64x2_mul(lo, lo));
      q1 = wasm_f64x2_add(q1, wasm_f64x2_mul(hi, hi));
    }
    double sq = lanes_sum(q0, q1);
    for (int j = quads; j < d; j++) {
      const double c = (double)xr[j] - mu;
      sq += c * c;
    }
    const double rs = 1.0 / __builtin_sqrt(sq / d + eps);
    mean[r] = (float)mu;
    rstd[r] = (float)rs;
    const v128_t vrs = wasm_f64x2_splat(rs);
    for (int j = 0; j < quads; j += 4) {
      v128_t glo, ghi, blo, bhi;
      load4(xr + j, &lo, &hi);
      load4(gamma + j, &glo, &ghi);
      load4(beta + j, &blo, &bhi);
      lo = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(lo, vmu), vrs), glo), blo);
      hi = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_sub(hi, vmu), vrs), ghi), bhi);
      store4(yr + j, lo, hi);
    }
    for (int j = quads; j < d; j++) yr[j] = (float)(((double)xr[j] - mu) * rs * (double)gamma[j] + (double)beta[j]);
  }
}

// scratch: 2·d float64 (dγ and dβ accumulators), 16-byte aligned.
__attribute__((export_name("layer_norm_backward")))
void layer_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, double* scratch, int rows, int d) {
  const int quads = d & ~3;
  double* dg = scratch;
  double* db = scratch + d;
  for (int j = 0; j < 2 * d; j++) scratch[j] = 0.0;
  for (int r = 0; r < rows; r++) {
    const long o = (long)r * d;
    const double mu = mean[r], rs = rstd[r];
    const v128_t vmu = wasm_f64x2_splat(mu), vrs = wasm_f64x2_splat(rs);
    v128_t sg0 = wasm_f64x2_splat(0.0), sg1 = sg0, sgx0 = sg0, sgx1 = sg0;
    for (int j = 0; j < quads; j += 4) {
      v128_t xlo, xhi, dlo, dhi, glo, ghi;
      load4(x + o + j, &xlo, &xhi);
      load4(dy + o + j, &dlo, &dhi);
      load4(gamma + j, &glo, &ghi);
      xlo = wasm_f64x2_mul(wasm_f64x2_sub(xlo, vmu), vrs);
      xhi = wasm_f64x2_mul(wasm_f64x2_sub(xhi, vmu), vrs);
      glo = wasm_f64x2_mul(dlo, glo);
      ghi = wasm_f64x2_mul(dhi, ghi);
      sg0 = wasm_f64x2_add(sg0, glo);
      sg1 = wasm_f64x2_add(sg1, ghi);
      sgx0 = wasm_f64x2_add(sgx0, wasm_f64x2_mul(glo, xlo));
      sgx1 = wasm_f64x2_add(sgx1, wasm_f64x2_mul(ghi, xhi));
      double* pg = dg + j;
      double* pb = db + j;
      wasm_v128_store(pg, wasm_f64x2_add(wasm_v128_load(pg), wasm_f64x2_mul(dlo, xlo)));
      wasm_v128_store(pg + 2, wasm_f64x2_add(wasm_v128_load(pg + 2), wasm_f64x2_mul(dhi, xhi)));
      wasm_v128_store(pb, wasm_f64x2_add(wasm_v128_load(pb), dlo));
      wasm_v128_store(pb + 2, wasm_f64x2_add(wasm_v128_load(pb + 2), dhi));
    }
    double sum_g = lanes_sum(sg0, sg1), sum_gx = lanes_sum(sgx0, sgx1);
    for (int j = quads; j < d; j++) {
      const double xh = ((double)x[o + j] - mu) * rs, dyj = dy[o + j], g = dyj * (double)gamma[j];
      sum_g += g;
      sum_gx += g * xh;
      dg[j] += dyj * xh;
      db[j] += dyj;
    }
    const double mean_g = sum_g / d, mean_gx = sum_gx / d;
    const v128_t vmg = wasm_f64x2_splat(mean_g), vmgx = wasm_f64x2_splat(mean_gx);
    for (int j = 0; j < quads; j += 4) {
      v128_t xlo, xhi, dlo, dhi, glo, ghi;
      load4(x + o + j, &xlo, &xhi);
      load4(dy + o + j, &dlo, &dhi);
      load4(gamma + j, &glo, &ghi);
      xlo = wasm_f64x2_mul(wasm_f64x2_sub(xlo, vmu), vrs);
      xhi = wasm_f64x2_mul(wasm_f64x2_sub(xhi, vmu), vrs);
      glo = wasm_f64x2_mul(dlo, glo);
      ghi = wasm_f64x2_mul(dhi, ghi);
      store4(dx + o + j, wasm_f64x2_mul(vrs, wasm_f64x2_sub(wasm_f64x2_sub(glo, vmg), wasm_f64x2_mul(xlo, vmgx))),
             wasm_f64x2_mul(vrs, wasm_f64x2_sub(wasm_f64x2_sub(ghi, vmg), wasm_f64x2_mul(xhi, vmgx))));
    }
    for (int j = quads; j < d; j++) {
      const double xh = ((double)x[o + j] - mu) * rs;
      dx[o + j] = (float)(rs * ((double)dy[o + j] * (double)gamma[j] - mean_g - xh * mean_gx));
    }
  }
  for (int j = 0; j < d; j++) {
    dgamma[j] = (float)dg[j];
    dbeta[j] = (float)db[j];
  }
}
