// Fused GELU forward and backward over float32 with wasm SIMD128, both variants:
//   variant 0 (erf):  y = x·Φ(x),  Φ(x) = ½·erfc(−x/√2);           dy/dx = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
//   variant 1 (tanh): y = x·σ(w),  w = 2u = 2√(2/π)·(x + 0.044715·x³) (= ½x(1 + tanh u));
//                     dy/dx = σ(w)·(1 + x·w'·(1 − σ(w))),  w' = 2√(2/π)·(1 + 3·0.044715·x²)
// Exports: gelu_forward (y), gelu_forward_grad (y and dy/dx, for a training forward whose backward is then one
// multiply; the two share the erfc and exp work) and gelu_backward (dy·dy/dx from x).
// Same contract as packages/core/src/backend/wasm/gelu-math.ts (the float64 reference).
// Build: packages/core/native/build.sh (clang --target=wasm32 -msimd128 -O3, no libc).
//
// Accuracy (checked against mpmath by gelu.test.ts): y within 1e-6 relative (1e-37 absolute where |y| < 1e-31), dy/dx
// within 2e-6 of the size of its two terms (|Φ| + |xφ|, resp. the two terms of the tanh form; that is relative
// except near the derivative's zero at x ≈ −0.75, where float32 can only be accurate to that scale). Measured
// worst cases are about half of that. Everything but tanh's w is float32, four lanes per vector:
// - Both forms are evaluated through a = |x| (clamped) and one tail T(a) = Φ(−a), resp. σ(−|w|): y = max(x, −0) − a·T
//   and dy/dx = [x ≥ 0] ± D(a) (− for x ≥ 0). So the tail is never 1 − (something near 1): it keeps its relative
//   accuracy deep in the negative tail where y and dy/dx are tiny, and there is no per-lane select.
// - erf: erfc(z) = e^(−z²)·t·G(t), t = 1/(1 + z/2), the form of Numerical Recipes' Chebyshev-fitted erfc (2nd ed.,
//   §6.2), with our own degree-8 fit of G = erfcx(z)/t on t ∈ [0.15, 1] (relative error 5.1e-8; 1.9e-7 with float32
//   Horner). Made and checked by packages/core/test/fixtures/nn/fit_erfcx.py.
// - The exponents (−x²/2, and −|w| for tanh) reach ~−140, where rounding them to one float would cost ~1e-5
//   relative; they are carried as two floats (an exact split of x², or float64 2|w| split in two) into
//   exp_neg_half_biased, which also pre-scales by 2^BIAS so that the intermediate products stay normal floats.
// - |x| is clamped to X_MAX before the tails are formed: beyond it the tails underflow to 0 (erf: Φ(−15) ≈ 4e-51;
//   tanh: σ(w(−12)) ≈ 1e-62), which gives the limits: x < −X_MAX (including −inf) y = −0 and dy/dx = 0; x > X_MAX
//   y = x and dy/dx = 1; NaN stays NaN.
#include <wasm_simd128.h>

#define BIAS 100
#define ERF_X_MAX 15.0f
#define TANH_X_MAX 12.0f

// ½·G(t) with G = erfcx(z)/t, t = 1/(1 + z/2): degree-8 fit by packages/core/test/fixtures/nn/fit_erfcx.py (relative
// error 5.1e-8 in exact arithmetic, 1.9e-7 with float32 Horner), coefficients halved and rounded to float32.
#define HG0 0.1410408616065979f
#define HG1 0.1412329226732254f
#define HG2 0.1211935356259346f
#define HG3 0.10287228971719742f
#define HG4 -0.01717461459338665f
#define HG5 0.14497588574886322f
#define HG6 -0.2490658164024353f
#define HG7 0.14504775404930115f
#define HG8 -0.030122840777039528f
// p(ρ) of e^(−ρ/2) = 1 + ρ·(−½ + ρ·p(ρ)) on |ρ| ≤ 0.82 (see exp_neg_half_biased), from the same script (relative
// error 1.2e-8 in exact arithmetic, 9.4e-8 in float32).
#define EP0 0.12499992549419403f
#define EP1 -0.0208329726010561f
#define EP2 0.0026045101694762707f
#define EP3 -0.0002619702136144042f
#define EP4 2.1408173779491335e-05f

static inline v128_t fmadd(v128_t a, v128_t b, float c) {
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), wasm_f32x4_splat(c));
}

// e^(−(hi + lo)/2)·2^BIAS for float32 lanes, the argument carried as two floats hi ≥ 0 and |lo| < 0.12 (so that both
// callers pass what they have without scaling: a² and 2|w|). n = round(−hi/(2·ln2)) (by the 1.5·2^23 trick),
// ρ = (hi + n·2ln2_hi) + (lo + n·2ln2_lo) with ln2 split so that n·2ln2_hi is exact; hi + n·2ln2_hi is exact too, as
// hi is a float32 of magnitude ≥ ~0.7 wherever n ≠ 0 (its last bit is at least 2^−24 and |ρ| < 1). |ρ| ≤ 0.82;
// e^(−ρ/2) = 1 + ρ·(−½ + ρ·p(ρ)); 2^(n + BIAS) is built in the exponent bits. No clamping: the callers keep
// n + BIAS within [−126, 127].
static inline v128_t exp_neg_half_biased(v128_t hi, v128_t lo) {
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  const v128_t tn = wasm_f32x4_add(wasm_f32x4_mul(hi, wasm_f32x4_splat(-0.72134752044448170f)), magic);
  const v128_t n = wasm_f32x4_sub(tn, magic);
  const v128_t r_hi = wasm_f32x4_add(hi, wasm_f32x4_mul(n, wasm_f32x4_splat(1.38671875f)));
  const v128_t r_lo = wasm_f32x4_add(lo, wasm_f32x4_mul(n, wasm_f32x4_splat(-4.24388880109381166e-4f)));
  const v128_t r = wasm_f32x4_add(r_hi, r_lo);
  v128_t p = fmadd(r, wasm_f32x4_splat(EP4), EP3);
  p = fmadd(p, r, EP2);
  p = fmadd(p, r, EP1);
  p = fmadd(p, r, EP0);
  const v128_t er = fmadd(r, fmadd(r, p, -0.5f), 1.0f);
  // Bits of tn = bits of magic + n: adding 127 + BIAS − bits(magic) leaves the biased exponent n + BIAS + 127.
  const v128_t two_n = wasm_i32x4_shl(wasm_i32x4_add(tn, wasm_i32x4_splat(127 + BIAS - 0x4B400000)), 23);
  return wasm_f32x4_mul(er, two_n);
}

// 2^−BIAS·½·erfcx(a/√2) = t·2^−BIAS·½G(t), t = 1/(1 + a/(2√2)), for float32 lanes of a = |x|. The factor 2^−BIAS
// (exact, and the values stay normal floats) undoes the bias of exp_neg_half_biased in the products with its result.
static inline v128_t half_erfcx_unbiased(v128_t a) {
  const float s = 0x1p-100f;
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), fmadd(a, wasm_f32x4_splat(0.35355339059327376f), 1.0f));
  v128_t g = fmadd(t, wasm_f32x4_splat(HG8 * s), HG7 * s);
  g = fmadd(g, t, HG6 * s);
  g = fmadd(g, t, HG5 * s);
  g = fmadd(g, t, HG4 * s);
  g = fmadd(g, t, HG3 * s);
  g = fmadd(g, t, HG2 * s);
  g = fmadd(g, t, HG1 * s);
  g = fmadd(g, t, HG0 * s);
  return wasm_f32x4_mul(t, g);
}
_Static_assert(BIAS == 100, "half_erfcx_unbiased() and tanh_tails() scale by 2^-100");

// y = max(x, −0) − a·T and dy/dx = [x ≥ 0] ± D, − where the sign bit of x is clear (so −0 counts as negative, and
// GELU'(−0) = D(0) = ½). x < 0: y = x·T(a) = −a·T; x ≥ 0: y = x·(1 − T) = x − a·T. max(x, −0) gives −0 for x < 0, so
// y = −0 where a·T underflows; NaN propagates through max (its first operand) and through a.
static inline __attribute__((always_inline)) void combine(v128_t x, v128_t a, v128_t t, v128_t d, int want_y, int want_g,
                                                          v128_t* y, v128_t* g) {
  if (want_y) *y = wasm_f32x4_sub(wasm_f32x4_pmax(x, wasm_f32x4_splat(-0.0f)), wasm_f32x4_mul(a, t));
  if (want_g) {
    const v128_t neg = wasm_i32x4_shr(x, 31);  // all ones where the sign bit is set
    const v128_t flip = wasm_v128_andnot(wasm_i32x4_splat((int)0x80000000), neg);
    *g = wasm_f32x4_add(wasm_v128_andnot(wasm_f32x4_splat(1.0f), neg), wasm_v128_xor(d, flip));
  }
}

// a = min(|x|, m); pmin keeps its first operand when it is NaN.
static inline v128_t abs_clamped(v128_t x, float m) {
  return wasm_f32x4_pmin(wasm_v128_andnot(x, wasm_i32x4_splat((int)0x80000000)), wasm_f32x4_splat(m));
}

// GELU (erf form) of four lanes into *y and its derivative into *g, as wanted (compile-time constants):
// T = ½·erfc(a/√2) = Φ(−a) = e^(−a²/2)·½erfcx(a/√2) and D = Φ(−a) − aφ(a) = e^(−a²/2)·(½erfcx(a/√2) − a/√(2π))
// (x < 0: Φ(x) + xφ(x) = D; x ≥ 0: 1 − Φ(−a) + aφ(a) = 1 − D). D cancels near the derivative's zero (x ≈ −0.75),
// but only to an absolute error that is small next to the derivative's terms e^(−a²/2)·(½erfcx + a/√(2π)).
static inline __attribute__((always_inline)) void gelu_erf_lanes(v128_t x, int want_y, int want_g, v128_t* y, v128_t* g) {
  const v128_t a = abs_clamped(x, ERF_X_MAX);
  const v128_t h = half_erfcx_unbiased(a);
  // a² = ah² + (a + ah)·al with ah = a's top 12 significand bits: ah² is exact in float32.
  const v128_t ah = wasm_v128_and(a, wasm_i32x4_splat((int)0xFFFFF000));
  const v128_t al = wasm_f32x4_sub(a, ah);
  const v128_t e = exp_neg_half_biased(wasm_f32x4_mul(ah, ah), wasm_f32x4_mul(wasm_f32x4_add(a, ah), al));
  const v128_t q = wasm_f32x4_sub(h, wasm_f32x4_mul(a, wasm_f32x4_splat(0.3989422804014327f * 0x1p-100f)));
  // h and q carry 2^−BIAS, e carries 2^BIAS: the products are T and D.
  combine(x, a, want_y ? wasm_f32x4_mul(h, e) : a, want_g ? wasm_f32x4_mul(q, e) : a, want_y, want_g, y, g);
}

// GELU (tanh form) of four lanes into *y and its derivative into *g, as wanted (compile-time constants):
// T = σ(−|w|) = s·d with s = e^(−|w|), d = 1/(1 + s) = σ(|w|); D = T·(1 − a·w'·d)
// (x < 0: σ(w)·(1 + x·w'·(1 − σ(w))) = T·(1 − a·w'·d); x ≥ 0: (1 − T)·(1 + a·w'·T) = 1 − T + a·w'·T·d = 1 − D).
// 2|w| = a·(4√(2/π) + 4√(2/π)·0.044715·a²) is formed in float64 and split into two floats for the exponential. s is below the float32
// normal range only where |w| > 87 (x < −10.2), where y and dy/dx are far below 1e-37.
static inline __attribute__((always_inline)) void gelu_tanh_lanes(v128_t x, int want_y, int want_g, v128_t* y, v128_t* g) {
  const v128_t a = abs_clamped(x, TANH_X_MAX);
  const v128_t c1 = wasm_f64x2_splat(3.1915382432114616);  // 4·√(2/π)
  const v128_t c3 = wasm_f64x2_splat(0.1427096325452005);  // 4·√(2/π)·0.044715
  const v128_t al = wasm_f64x2_promote_low_f32x4(a);
  const v128_t ah = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 2, 3));
  const v128_t wl = wasm_f64x2_mul(al, wasm_f64x2_add(c1, wasm_f64x2_mul(c3, wasm_f64x2_mul(al, al))));
  const v128_t wh = wasm_f64x2_mul(ah, wasm_f64x2_add(c1, wasm_f64x2_mul(c3, wasm_f64x2_mul(ah, ah))));
  const v128_t w2_hi = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(wl), wasm_f32x4_demote_f64x2_zero(wh), 0, 1, 4, 5);
  const v128_t rl = wasm_f64x2_sub(wl, wasm_f64x2_promote_low_f32x4(w2_hi));
  const v128_t rh = wasm_f64x2_sub(wh, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(w2_hi, w2_hi, 2, 3, 2, 3)));
  const v128_t w2_lo = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(rl), wasm_f32x4_demote_f64x2_zero(rh), 0, 1, 4, 5);
  const v128_t s = wasm_f32x4_mul(exp_neg_half_biased(w2_hi, w2_lo), wasm_f32x4_splat(0x1p-100f));
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t d = wasm_f32x4_div(one, wasm_f32x4_add(one, s));
  const v128_t t = wasm_f32x4_mul(s, d);
  v128_t dd = a;
  if (want_g) {
    const v128_t dw = fmadd(wasm_f32x4_mul(a, a), wasm_f32x4_splat(0.21406444881780076f), 1.5957691216057307f);  // w'
    dd = wasm_f32x4_mul(t, wasm_f32x4_sub(one, wasm_f32x4_mul(wasm_f32x4_mul(a, dw), d)));
  }
  combine(x, a, t, dd, want_y, want_g, y, g);
}

// The loops of the exports, specialised by the compile-time flags: y = GELU(x) with want_y; g = GELU'(x) with
// want_g, times dy with with_dy. Two vectors per step (independent work for the out-of-order core; ~15% faster), then
// one; both read their inputs before writing, so outputs may alias inputs element for element. The last count mod 4
// elements go through a buffer padded with x = 0 (and dy = 1).
static inline __attribute__((always_inline)) void gelu_loop(const float* x, const float* dy, float* y, float* g,
                                                            int count, int variant, int want_y, int want_g, int with_dy) {
  int i = 0;
#define GELU_VECTORS(lanes)                                                                                   \
  for (; i + 8 <= count; i += 8) {                                                                            \
    v128_t vy0, vg0, vy1, vg1;                                                                                \
    const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 4);                                  \
    const v128_t d0 = with_dy ? wasm_v128_load(dy + i) : x0, d1 = with_dy ? wasm_v128_load(dy + i + 4) : x1;  \
    lanes(x0, want_y, want_g, &vy0, &vg0);                                                                    \
    lanes(x1, want_y, want_g, &vy1, &vg1);                                                                    \
    if (want_g) wasm_v128_store(g + i, with_dy ? wasm_f32x4_mul(d0, vg0) : vg0);                              \
    if (want_g) wasm_v128_store(g + i + 4, with_dy ? wasm_f32x4_mul(d1, vg1) : vg1);                          \
    if (want_y) wasm_v128_store(y + i, vy0);                                                                  \
    if (want_y) wasm_v128_store(y + i + 4, vy1);                                                              \
  }                                                                                                           \
  for (; i + 4 <= count; i += 4) {                                                                            \
    v128_t vy, vg;                                                                                            \
    lanes(wasm_v128_load(x + i), want_y, want_g, &vy, &vg);                                                   \
    if (want_g) wasm_v128_store(g + i, with_dy ? wasm_f32x4_mul(wasm_v128_load(dy + i), vg) : vg);            \
    if (want_y) wasm_v128_store(y + i, vy);                                                                   \
  }
  if (variant == 0) {
    GELU_VECTORS(gelu_erf_lanes)
  } else {
    GELU_VECTORS(gelu_tanh_lanes)
  }
#undef GELU_VECTORS
  if (i < count) {
    float bx[4], bd[4];  // filled by stores: an initialiser list would put a constant into a data section
    wasm_v128_store(bx, wasm_f32x4_splat(0.0f));
    wasm_v128_store(bd, wasm_f32x4_splat(1.0f));
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
