// Fused GELU forward and backward over float32 with wasm SIMD128, both variants:
//   variant 0 (erf):  y = x·Φ(x),  Φ(x) = ½·erfc(−x/√2);           dy/dx = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
//   variant 1 (tanh): y = x·σ(w),  w = 2u = 2√(2/π)·(x + 0.044715·x³) (= ½x(1 + tanh u));
//                     dy/dx = σ(w)·(1 + x·w'·(1 − σ(w))),  w' = 2√(2/π)·(1 + 3·0.044715·x²)
// Exports: gelu_forward (y), gelu_forward_grad (y and dy/dx, for a training forward whose backward is then one
// multiply; the two share the erfc and exp work) and gelu_backward (dy·dy/dx from x).
// Same contract as packages/core/src/backend/wasm/gelu-math.ts (the float64 reference).
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
//
// Accuracy (few float32 ulp RELATIVE, also deep in the negative tail where y and dy/dx are tiny):
// - Φ for x < 0 is the tail ½·erfc(|x|/√2) itself, never 1 − (something near 1), so it keeps its relative accuracy.
//   erfc(z) = e^(−z²)·t·G(t), t = 1/(1 + z/2): the form of Numerical Recipes' Chebyshev-fitted erfc (2nd ed., §6.2),
//   with our own degree-12 fit of G = erfcx(z)/t on t ∈ [0.15, 1] (relative error 2.2e-10; made and checked by
//   packages/core/test/fixtures/nn/fit_erfcx.py). t and G are evaluated in float64 lanes (float32 Horner alone
//   costs ~1.5e-7), and so is the derivative's Φ + xφ = e^(−x²/2)·(½erfcx(|x|/√2) − |x|/√(2π)) for x < 0, whose
//   bracket cancels near the derivative's zero (x ≈ −0.75).
// - The exponents (−x²/2, and −|w| for tanh) reach ~−140, where rounding them to one float would cost ~1e-5
//   relative; they are carried as two floats (an exact split of x², or float64 w split in two) into
//   exp_split_scaled_f32x4, which also pre-scales by 2^BIAS so that subnormal results round correctly.
// - |x| is clamped to X_MAX before the tails are formed: beyond it the tail terms are far below float32 resolution
//   (erf: Φ(−15) ≈ 4e-51; tanh: σ(w(−12)) ≈ 1e-62) and the clamp keeps ±inf from making inf·0. x < −X_MAX (including
//   −inf) gives y = −0 and dy/dx = 0, as the limits; x > X_MAX gives y = x and dy/dx = 1; NaN stays NaN.
#include <wasm_simd128.h>

#include "simd_math.h"

#define BIAS 100
#define ERF_X_MAX 15.0f
#define TANH_X_MAX 12.0f

static const double G_COEF[13] = {
  0.28209662654314255,  0.28203332555313981, 0.2477382119346998,    0.16857678112510666,  0.12624485372721128,
  -0.16160068983472528, 0.33869458089075871, -0.7136870012314307,   0.6647472664378774,   -0.24060675099602774,
  -0.036508865809457849, 0.054504917540720503, -0.012233256060775634,
};

// ½·erfcx(a/√2) = ½·t·G(t) for two float64 lanes of a = |x|.
static inline v128_t half_erfcx_f64x2(v128_t a) {
  const v128_t one = wasm_f64x2_splat(1.0);
  const v128_t z = wasm_f64x2_mul(a, wasm_f64x2_splat(0.70710678118654752440));
  const v128_t t = wasm_f64x2_div(one, wasm_f64x2_add(one, wasm_f64x2_mul(z, wasm_f64x2_splat(0.5))));
  v128_t g = wasm_f64x2_splat(G_COEF[12]);
  for (int k = 11; k >= 0; k--) g = wasm_f64x2_add(wasm_f64x2_mul(g, t), wasm_f64x2_splat(G_COEF[k]));
  return wasm_f64x2_mul(wasm_f64x2_mul(t, g), wasm_f64x2_splat(0.5));
}

// ½·erfcx(a/√2) − a/√(2π): the derivative's Φ + xφ for x < 0 divided by e^(−x²/2). Formed in float64 (before
// rounding to float32) so that it stays accurate near its zero at x ≈ −0.75.
static inline v128_t grad_tail_f64x2(v128_t a, v128_t h) {
  return wasm_f64x2_sub(h, wasm_f64x2_mul(a, wasm_f64x2_splat(0.39894228040143268)));
}

// Two float64 pairs → one float32x4 (lanes of lo first).
static inline v128_t demote2(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// For a = |x| ≤ ERF_X_MAX, returns e^(−a²/2)·2^BIAS and sets (when wanted) *h = ½·erfcx(a/√2) and
// *q = ½·erfcx(a/√2) − a/√(2π), rounded to float32: ½·erfc(a/√2)·2^BIAS = h·(return value), and for x < 0
// (Φ(x) + x·φ(x))·2^BIAS = q·(return value).
static inline __attribute__((always_inline)) v128_t erf_tail_parts(v128_t a, int want_h, int want_q, v128_t* h, v128_t* q) {
  const v128_t a_lo = wasm_f64x2_promote_low_f32x4(a);
  const v128_t a_hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 2, 3));
  const v128_t h_lo = half_erfcx_f64x2(a_lo), h_hi = half_erfcx_f64x2(a_hi);
  if (want_h) *h = demote2(h_lo, h_hi);
  if (want_q) *q = demote2(grad_tail_f64x2(a_lo, h_lo), grad_tail_f64x2(a_hi, h_hi));
  // a²/2 = ah²/2 + (ah·al + al²/2) with ah = a's top 12 significand bits: ah² is exact in float32.
  const v128_t ah = wasm_v128_and(a, wasm_i32x4_splat((int)0xFFFFF000));
  const v128_t al = wasm_f32x4_sub(a, ah);
  const v128_t half = wasm_f32x4_splat(0.5f);
  const v128_t sq_hi = wasm_f32x4_mul(wasm_f32x4_mul(ah, ah), half);
  const v128_t sq_lo = wasm_f32x4_add(wasm_f32x4_mul(ah, al), wasm_f32x4_mul(wasm_f32x4_mul(al, al), half));
  return exp_split_scaled_f32x4(wasm_f32x4_neg(sq_hi), wasm_f32x4_neg(sq_lo), BIAS);
}

// For clamped x: the two-float −|w|, w = x·(c1 + c3·x²) formed in float64.
static inline __attribute__((always_inline)) void tanh_neg_abs_w(v128_t xc, v128_t* hi, v128_t* lo) {
  const v128_t c1 = wasm_f64x2_splat(1.5957691216057308);   // 2·√(2/π)
  const v128_t c3 = wasm_f64x2_splat(0.07135481627260025);    // 2·√(2/π)·0.044715
  const v128_t xl = wasm_f64x2_promote_low_f32x4(xc);
  const v128_t xh = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(xc, xc, 2, 3, 2, 3));
  const v128_t wl = wasm_f64x2_neg(wasm_f64x2_abs(wasm_f64x2_mul(xl, wasm_f64x2_add(c1, wasm_f64x2_mul(c3, wasm_f64x2_mul(xl, xl))))));
  const v128_t wh = wasm_f64x2_neg(wasm_f64x2_abs(wasm_f64x2_mul(xh, wasm_f64x2_add(c1, wasm_f64x2_mul(c3, wasm_f64x2_mul(xh, xh))))));
  const v128_t h = demote2(wl, wh);
  *hi = h;
  const v128_t rl = wasm_f64x2_sub(wl, wasm_f64x2_promote_low_f32x4(h));
  const v128_t rh = wasm_f64x2_sub(wh, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(h, h, 2, 3, 2, 3)));
  *lo = demote2(rl, rh);
}

static inline v128_t clamp(v128_t x, float m) {
  // pmin/pmax return their first operand when a comparison involves NaN: NaN stays NaN.
  return wasm_f32x4_pmax(wasm_f32x4_pmin(x, wasm_f32x4_splat(m)), wasm_f32x4_splat(-m));
}

// Multiplies by 2^−BIAS (exact unless the result is subnormal, where it rounds once).
static inline v128_t unbias(v128_t v) { return wasm_f32x4_mul(v, wasm_f32x4_splat(0x1p-100f)); }
_Static_assert(BIAS == 100, "unbias() multiplies by 2^-100");

// GELU (erf form) of four lanes into *y and its derivative into *g, as wanted (compile-time constants).
static inline __attribute__((always_inline)) void gelu_erf_lanes(v128_t x, int want_y, int want_g, v128_t* y, v128_t* g) {
  const v128_t xc = clamp(x, ERF_X_MAX);
  v128_t h, q;
  const v128_t e = erf_tail_parts(wasm_f32x4_abs(xc), want_y, want_g, &h, &q);
  const v128_t neg = wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f));
  const v128_t below = wasm_f32x4_lt(x, wasm_f32x4_splat(-ERF_X_MAX));
  if (want_y) {
    const v128_t p = unbias(wasm_f32x4_mul(xc, wasm_f32x4_mul(h, e)));  // x·½erfc(|x|/√2)
    *y = wasm_v128_bitselect(wasm_f32x4_splat(-0.0f), wasm_v128_bitselect(p, wasm_f32x4_sub(x, p), neg), below);
  }
  if (want_g) {
    // With a = |x|: x < 0: Φ + xφ = e^(−a²/2)·q;  x ≥ 0: Φ + xφ = 1 − ½erfc(a/√2) + aφ(a) = 1 − e^(−a²/2)·q.
    const v128_t eq = unbias(wasm_f32x4_mul(e, q));
    const v128_t d = wasm_v128_bitselect(eq, wasm_f32x4_sub(wasm_f32x4_splat(1.0f), eq), neg);
    *g = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), d, below);
  }
}

// Shared by the tanh forward and backward: s·2^B = e^(−|w|)·2^B, d = 1/(1 + e^(−|w|)).
static inline __attribute__((always_inline)) v128_t tanh_parts(v128_t xc, v128_t* d) {
  v128_t hi, lo;
  tanh_neg_abs_w(xc, &hi, &lo);
  const v128_t e = exp_split_scaled_f32x4(hi, lo, BIAS);
  *d = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), unbias(e)));
  return e;
}

// GELU (tanh form) of four lanes into *y and its derivative into *g, as wanted (compile-time constants).
static inline __attribute__((always_inline)) void gelu_tanh_lanes(v128_t x, int want_y, int want_g, v128_t* y, v128_t* g) {
  const v128_t xc = clamp(x, TANH_X_MAX);
  v128_t d;
  const v128_t e = tanh_parts(xc, &d);
  const v128_t neg = wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f));
  const v128_t below = wasm_f32x4_lt(x, wasm_f32x4_splat(-TANH_X_MAX));
  const v128_t ed = wasm_f32x4_mul(e, d);  // 2^B·σ(−|w|)
  if (want_y) {
    // x ≥ 0: σ(w) = d; x < 0: σ(w) = e^w/(1 + e^w) = ed·2^−B.
    const v128_t y_neg = unbias(wasm_f32x4_mul(xc, ed));
    *y = wasm_v128_bitselect(wasm_f32x4_splat(-0.0f), wasm_v128_bitselect(y_neg, wasm_f32x4_mul(x, d), neg), below);
  }
  if (want_g) {
    const v128_t x2 = wasm_f32x4_mul(xc, xc);
    const v128_t dw = wasm_f32x4_add(wasm_f32x4_splat(1.5957691216057307f), wasm_f32x4_mul(wasm_f32x4_splat(0.21406444881780076f), x2));
    const v128_t k = wasm_f32x4_mul(xc, dw);  // x·w'
    // x ≥ 0: σ = d, 1 − σ = ed·2^−B;  x < 0: σ = ed·2^−B, 1 − σ = d.
    const v128_t g_pos = wasm_f32x4_add(d, unbias(wasm_f32x4_mul(wasm_f32x4_mul(d, k), ed)));
    const v128_t g_neg = unbias(wasm_f32x4_mul(ed, wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(k, d))));
    *g = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), wasm_v128_bitselect(g_neg, g_pos, neg), below);
  }
}

// The loops of the exports, specialised by the compile-time flags: y = GELU(x) with want_y; g = GELU'(x) with
// want_g, times dy with with_dy. Every vector is read before it is written, so outputs may alias inputs element
// for element. The last count mod 4 elements go through a zero-padded buffer.
static inline __attribute__((always_inline)) void gelu_loop(const float* x, const float* dy, float* y, float* g,
                                                            int count, int variant, int want_y, int want_g, int with_dy) {
  int i = 0;
#define GELU_VECTORS(lanes)                                                                \
  for (; i + 4 <= count; i += 4) {                                                         \
    v128_t vy, vg;                                                                         \
    lanes(wasm_v128_load(x + i), want_y, want_g, &vy, &vg);                                \
    if (want_g) wasm_v128_store(g + i, with_dy ? wasm_f32x4_mul(wasm_v128_load(dy + i), vg) : vg); \
    if (want_y) wasm_v128_store(y + i, vy);                                                \
  }
  if (variant == 0) {
    GELU_VECTORS(gelu_erf_lanes)
  } else {
    GELU_VECTORS(gelu_tanh_lanes)
  }
#undef GELU_VECTORS
  if (i < count) {
    float bx[4] = {0, 0, 0, 0}, bd[4] = {1, 1, 1, 1};
    for (int j = 0; i + j < count; j++) {
      bx[j] = x[i + j];
      if (with_dy) bd[j] = dy[i + j];
    }
    v128_t vy, vg;
    if (variant == 0) gelu_erf_lanes(wasm_v128_load(bx), 1, 1, &vy, &vg);
    else gelu_tanh_lanes(wasm_v128_load(bx), 1, 1, &vy, &vg);
    wasm_v128_store(bx, vy);
    wasm_v128_store(bd, wasm_f32x4_mul(wasm_v128_load(bd), vg));
    for (int j = 0; i + j < count; j++) {
      if (want_y) y[i + j] = bx[j];
      if (want_g) g[i + j] = bd[j];
    }
  }
}

// y[i] = GELU(x[i]) for i < count; y may alias x.
__attribute__((export_name("gelu_forward")))
void gelu_forward(const float* x, float* y, int count, int variant) {
  gelu_loop(x, 0, y, 0, count, variant, 1, 0, 0);
}

// y[i] = GELU(x[i]) and g[i] = GELU'(x[i]) for i < count (the forward of a training step, saving the derivative
// for the backward); y may alias x.
__attribute__((export_name("gelu_forward_grad")))
void gelu_forward_grad(const float* x, float* y, float* g, int count, int variant) {
  gelu_loop(x, 0, y, g, count, variant, 1, 1, 0);
}

// dx[i] = dy[i]·GELU'(x[i]) for i < count; dx may alias dy (or x).
__attribute__((export_name("gelu_backward")))
void gelu_backward(const float* dy, const float* x, float* dx, int count, int variant) {
  gelu_loop(x, dy, 0, dx, count, variant, 0, 1, 1);
}
