// Fused GroupNorm (+ optional SiLU) forward and backward over NHWC float32 with wasm SIMD128.
// Same math and contract as packages/core/src/backend/wasm/group-norm-math.ts (the reference):
//   x is [N, S, C] (S = H·W), channels split into G groups of C/G; per sample and group μ and r = 1/√(σ² + eps)
//   (biased variance); a = γ·(x − μ)·r + β; y = a, or with SiLU y = a·σ(a) and σ(a) is also written out.
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
//
// Vectorising across channels: one sample is S·C contiguous floats whose channel pattern repeats every C floats.
// We walk it in "periods" of P = lcm(C, 4) floats (P/C positions), so every 4-float lane group of a period always
// holds the same 4 channels; per-channel quantities are expanded to P-long arrays and loaded as vectors. The last
// (S mod P/C) positions of a sample are done with scalar code on the same arrays.
//
// Sums: float32 vector partial sums over at most BLOCK periods, flushed into float64 — as accurate as the float64
// reference for any S. The variance is the mean of centred squares (second pass), so it does not cancel for
// inputs far from zero.
#include <wasm_simd128.h>

#include "simd_math.h"

#define BLOCK 16

static int period_of(int c) {
  return (c & 3) == 0 ? c : (c & 1) == 0 ? 2 * c : 4 * c;
}

// ---------------------------------------------------------------------------------------------------------------
// exp and sigmoid: exp_f32x4, sigmoid_f32x4 and sigmoid_f32 live in simd_math.h.

// out[i] = e^x[i], i < count (exposed so the tests can measure the approximation against Math.exp).
__attribute__((export_name("exp_f32")))
void exp_f32(const float* x, float* out, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(out + i, exp_f32x4(wasm_v128_load(x + i)));
  for (; i < count; i++) out[i] = wasm_f32x4_extract_lane(exp_f32x4(wasm_f32x4_splat(x[i])), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Scratch: the JS side passes one 16-byte aligned area of group_norm_scratch_bytes(c) bytes.

typedef struct {
  double* sum_a;   // [P] float64 sums per period element (flushed from the float32 blocks)
  double* sum_b;   // [P]
  double* ch_a;    // [C] per-channel totals
  double* ch_b;    // [C]
  double* acc_g;   // [C] dγ accumulated over the batch (backward)
  double* acc_b;   // [C] dβ accumulated over the batch (backward)
  float* blk_a;    // [P] float32 block sums
  float* blk_b;    // [P]
  float* centre;   // [P] μ of the element's group
  float* scale;    // [P] γ·r, or the dx coefficient of da (backward pass 2)
  float* bias;     // [P] β, or the dx coefficient of x − μ (backward pass 2)
  float* konst;    // [P] constant term of dx (backward pass 2)
} scratch_t;

static int pad4(int k) { return (k + 3) & ~3; }

__attribute__((export_name("group_norm_scratch_bytes")))
int group_norm_scratch_bytes(int c) {
  const int p = period_of(c);
  return 8 * (2 * p + 4 * c) + 4 * 6 * pad4(p);
}

static scratch_t scratch_at(void* base, int c) {
  const int p = period_of(c), pp = pad4(p);
  scratch_t t;
  double* d = (double*)base;
  t.sum_a = d; d += p;
  t.sum_b = d; d += p;
  t.ch_a = d; d += c;
  t.ch_b = d; d += c;
  t.acc_g = d; d += c;
  t.acc_b = d; d += c;
  float* f = (float*)d;
  t.blk_a = f; f += pp;
  t.blk_b = f; f += pp;
  t.centre = f; f += pp;
  t.scale = f; f += pp;
  t.bias = f; f += pp;
  t.konst = f;
  return t;
}

static void zero_f32(float* v, int k) { for (int i = 0; i < k; i++) v[i] = 0; }
static void zero_f64(double* v, int k) { for (int i = 0; i < k; i++) v[i] = 0; }

// sum[j] += blk[j]; blk[j] = 0.
static void flush(float* blk, double* sum, int p) {
  for (int j = 0; j < p; j++) {
    sum[j] += blk[j];
    blk[j] = 0;
  }
}

// Period sums folded into per-channel totals: element j of a period is channel j mod C.
static void fold(const double* per_period, double* per_channel, int p, int c) {
  for (int ch = 0; ch < c; ch++) per_channel[ch] = 0;
  for (int j = 0, ch = 0; j < p; j++) {
    per_channel[ch] += per_period[j];
    if (++ch == c) ch = 0;
  }
}

// Expands the per-channel value of group k (for centre: mean[k]) onto the period.
static void expand_group_value(const float* per_group, float* out, int p, int c, int cg) {
  for (int j = 0, ch = 0; j < p; j++) {
    out[j] = per_group[ch / cg];
    if (++ch == c) ch = 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Forward

// Per sample: Σx per period element, then Σ(x − μ)², each float32 in blocks and float64 overall.
static void sample_stats(const float* xs, int total, int full, int p, int c, int g, float eps, scratch_t* t,
                         float* mean, float* rstd) {
  const int cg = c / g;
  const double count = (double)(total / c) * cg;
  // Pass 1: sums.
  zero_f64(t->sum_a, p);
  zero_f32(t->blk_a, p);
  int i = 0;
  while (i < full) {
    const int stop = i + BLOCK * p < full ? i + BLOCK * p : full;
    for (; i < stop; i += p)
      for (int j = 0; j < p; j += 4)
        wasm_v128_store(t->blk_a + j, wasm_f32x4_add(wasm_v128_load(t->blk_a + j), wasm_v128_load(xs + i + j)));
    flush(t->blk_a, t->sum_a, p);
  }
  for (int j = 0; i < total; i++, j++) t->sum_a[j] += xs[i];
  fold(t->sum_a, t->ch_a, p, c);
  for (int k = 0; k < g; k++) {
    double s = 0;
    for (int ch = k * cg; ch < (k + 1) * cg; ch++) s += t->ch_a[ch];
    mean[k] = (float)(s / count);
  }
  // Pass 2: centred squares.
  expand_group_value(mean, t->centre, p, c, cg);
  zero_f64(t->sum_b, p);
  zero_f32(t->blk_b, p);
  i = 0;
  while (i < full) {
    const int stop = i + BLOCK * p < full ? i + BLOCK * p : full;
    for (; i < stop; i += p)
      for (int j = 0; j < p; j += 4) {
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(xs + i + j), wasm_v128_load(t->centre + j));
        wasm_v128_store(t->blk_b + j, wasm_f32x4_add(wasm_v128_load(t->blk_b + j), wasm_f32x4_mul(d, d)));
      }
    flush(t->blk_b, t->sum_b, p);
  }
  for (int j = 0; i < total; i++, j++) {
    const double d = (double)xs[i] - t->centre[j];
    t->sum_b[j] += d * d;
  }
  fold(t->sum_b, t->ch_b, p, c);
  for (int k = 0; k < g; k++) {
    double s = 0;
    for (int ch = k * cg; ch < (k + 1) * cg; ch++) s += t->ch_b[ch];
    // Centred at the float32-rounded mean: Σ(x − m)² = Σ(x − μ)² + count·(μ − m)², so it is never below the
    // exact value; the correction is below float32 resolution and is left out.
    rstd[k] = (float)(1.0 / __builtin_sqrt(s / count + eps));
  }
}

// The affine part on the period: centre = μ, scale = γ·r, bias = β, so a = (x − centre)·scale + bias.
static void affine_on_period(scratch_t* t, const float* gamma, const float* beta, const float* mb, const float* rb,
                             int p, int c, int cg) {
  for (int j = 0, ch = 0; j < p; j++) {
    const int k = ch / cg;
    t->centre[j] = mb[k];
    t->scale[j] = gamma[ch] * rb[k];
    t->bias[j] = beta[ch];
    if (++ch == c) ch = 0;
  }
}

static inline v128_t affine_at(const scratch_t* t, const float* xs, int i, int j) {
  const v128_t xc = wasm_f32x4_sub(wasm_v128_load(xs + i + j), wasm_v128_load(t->centre + j));
  return wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_v128_load(t->scale + j)), wasm_v128_load(t->bias + j));
}

// x, gamma, beta → y (may alias x element for element), mean, rstd ([N·G]) and, with silu, sig = σ(a).
__attribute__((export_name("group_norm_forward")))
void group_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* sig, float* mean,
                        float* rstd, void* scratch, int n, int s, int c, int g, float eps, int silu) {
  const int p = period_of(c), cg = c / g, total = s * c, full = total - total % p;
  scratch_t t = scratch_at(scratch, c);
  for (int b = 0; b < n; b++) {
    const float* xs = x + b * total;
    float* ys = y + b * total;
    float* mb = mean + b * g;
    float* rb = rstd + b * g;
    sample_stats(xs, total, full, p, c, g, eps, &t, mb, rb);
    affine_on_period(&t, gamma, beta, mb, rb, p, c, cg);
    if (silu) {
      float* ss = sig + b * total;
      for (int i = 0; i < full; i += p)
        for (int j = 0; j < p; j += 4) {
          const v128_t a = affine_at(&t, xs, i, j);
          const v128_t sg = sigmoid_f32x4(a);
          wasm_v128_store(ss + i + j, sg);
          wasm_v128_store(ys + i + j, wasm_f32x4_mul(a, sg));
        }
      for (int i = full, j = 0; i < total; i++, j++) {
        const float a = (xs[i] - t.centre[j]) * t.scale[j] + t.bias[j];
        const float sg = sigmoid_f32(a);
        ss[i] = sg;
        ys[i] = a * sg;
      }
    } else {
      for (int i = 0; i < full; i += p)
        for (int j = 0; j < p; j += 4) wasm_v128_store(ys + i + j, affine_at(&t, xs, i, j));
      for (int i = full, j = 0; i < total; i++, j++) ys[i] = (xs[i] - t.centre[j]) * t.scale[j] + t.bias[j];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Backward

// From dy, the forward's input and statistics (and sig = σ(a) with silu): dx (may alias dy element for element),
// dgamma and dbeta ([C]). da = dy·σ·(1 + a·(1 − σ)) with silu, else dy; per sample and group of M = S·C/G elements
// dx = r·γ·da − r·mean(γ·da) − (x − μ)·r²·mean(γ·da·x̂); dγ = Σ da·x̂; dβ = Σ da.
__attribute__((export_name("group_norm_backward")))
void group_norm_backward(const float* dy, const float* x, const float* gamma, const float* beta, const float* mean,
                         const float* rstd, const float* sig, float* dx, float* dgamma, float* dbeta, void* scratch,
                         int n, int s, int c, int g, int silu) {
  const int p = period_of(c), cg = c / g, total = s * c, full = total - total % p;
  const double count = (double)s * cg;
  scratch_t t = scratch_at(scratch, c);
  zero_f64(t.acc_g, c);
  zero_f64(t.acc_b, c);
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int b = 0; b < n; b++) {
    const float* dys = dy + b * total;
    const float* xs = x + b * total;
    const float* ss = sig + b * total;
    float* dxs = dx + b * total;
    const float* rb = rstd + b * g;
    affine_on_period(&t, gamma, beta, mean + b * g, rb, p, c, cg);
    // Pass 1: da into dx, and per period element Σda, Σda·(x − μ).
    zero_f64(t.sum_a, p);
    zero_f64(t.sum_b, p);
    zero_f32(t.blk_a, p);
    zero_f32(t.blk_b, p);
    int i = 0;
    while (i < full) {
      const int stop = i + BLOCK * p < full ? i + BLOCK * p : full;
      for (; i < stop; i += p)
        for (int j = 0; j < p; j += 4) {
          const v128_t xc = wasm_f32x4_sub(wasm_v128_load(xs + i + j), wasm_v128_load(t.centre + j));
          v128_t da = wasm_v128_load(dys + i + j);
          if (silu) {
            const v128_t sg = wasm_v128_load(ss + i + j);
            const v128_t a = wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_v128_load(t.scale + j)), wasm_v128_load(t.bias + j));
            da = wasm_f32x4_mul(wasm_f32x4_mul(da, sg), wasm_f32x4_add(one, wasm_f32x4_mul(a, wasm_f32x4_sub(one, sg))));
          }
          wasm_v128_store(dxs + i + j, da);
          wasm_v128_store(t.blk_a + j, wasm_f32x4_add(wasm_v128_load(t.blk_a + j), da));
          wasm_v128_store(t.blk_b + j, wasm_f32x4_add(wasm_v128_load(t.blk_b + j), wasm_f32x4_mul(da, xc)));
        }
      flush(t.blk_a, t.sum_a, p);
      flush(t.blk_b, t.sum_b, p);
    }
    for (int j = 0; i < total; i++, j++) {
      const float xc = xs[i] - t.centre[j];
      float da = dys[i];
      if (silu) {
        const float sg = ss[i];
        const float a = xc * t.scale[j] + t.bias[j];
        da = da * sg * (1 + a * (1 - sg));
      }
      dxs[i] = da;
      t.sum_a[j] += da;
      t.sum_b[j] += (double)da * xc;
    }
    fold(t.sum_a, t.ch_a, p, c);
    fold(t.sum_b, t.ch_b, p, c);
    // Per group: accumulate dγ, dβ and turn the channel sums into the dx coefficients (in place: ch_a becomes the
    // coefficient of da, ch_b that of x − μ, sum_a the constant).
    for (int k = 0; k < g; k++) {
      const double r = rb[k];
      double m1 = 0, m2 = 0;
      for (int ch = k * cg; ch < (k + 1) * cg; ch++) {
        const double da_xhat = t.ch_b[ch] * r;
        m1 += gamma[ch] * t.ch_a[ch];
        m2 += gamma[ch] * da_xhat;
        t.acc_g[ch] += da_xhat;
        t.acc_b[ch] += t.ch_a[ch];
      }
      m1 /= count;
      m2 /= count;
      for (int ch = k * cg; ch < (k + 1) * cg; ch++) {
        t.ch_a[ch] = r * gamma[ch];
        t.ch_b[ch] = -r * r * m2;
        t.sum_a[ch] = -r * m1;
      }
    }
    for (int j = 0, ch = 0; j < p; j++) {
      t.scale[j] = (float)t.ch_a[ch];
      t.bias[j] = (float)t.ch_b[ch];
      t.konst[j] = (float)t.sum_a[ch];
      if (++ch == c) ch = 0;
    }
    // Pass 2: dx = da·scale + (x − μ)·bias + konst.
    for (i = 0; i < full; i += p)
      for (int j = 0; j < p; j += 4) {
        const v128_t xc = wasm_f32x4_sub(wasm_v128_load(xs + i + j), wasm_v128_load(t.centre + j));
        const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(dxs + i + j), wasm_v128_load(t.scale + j)),
                                        wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_v128_load(t.bias + j)), wasm_v128_load(t.konst + j)));
        wasm_v128_store(dxs + i + j, v);
      }
    for (int j = 0; i < total; i++, j++) dxs[i] = dxs[i] * t.scale[j] + (xs[i] - t.centre[j]) * t.bias[j] + t.konst[j];
  }
  for (int ch = 0; ch < c; ch++) {
    dgamma[ch] = (float)t.acc_g[ch];
    dbeta[ch] = (float)t.acc_b[ch];
  }
}
