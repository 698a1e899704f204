// Vectorised float32 math shared by the WASM SIMD kernels of packages/core/native (header-only, static inline).
// Included by group_norm.c (σ for the fused SiLU) and gelu.c (e^x with a two-float argument for the GELU tails).
#ifndef IFSQ_SIMD_MATH_H
#define IFSQ_SIMD_MATH_H

#include <wasm_simd128.h>

// e^r for float32 lanes with |r| ≤ ~ln2/2 (the reduced argument of the exps below): 1 + (r + r²·p) with
// p = 1/2! + r/3! + ... + r^5/7!, the degree-7 Taylor polynomial (truncation error < 1e-8 relative).
static inline v128_t exp_reduced_f32x4(v128_t r) {
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  const v128_t r2 = wasm_f32x4_mul(r, r);
  return wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_add(r, wasm_f32x4_mul(r2, p)));
}

// e^x for float32 lanes, within ~1 ulp of the correctly rounded value on [-87.3, 88.3]. Outside that range it
// saturates to finite values (≈1.2e-38 below, ≈2.1e38 above), which leaves σ(x) = 1/(1 + e^−x) correct to float32;
// NaN stays NaN.
// Method: n = round(x/ln2) (ties to even), r = x − n·ln2 (ln2 split in two so that n·ln2_hi is exact), e^r by its Taylor
// polynomial of degree 7 (truncation error < 1e-8 relative on |r| ≤ ln2/2), scaled by 2^n built in the exponent bits.
static inline v128_t exp_f32x4(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-87.33f), hi = wasm_f32x4_splat(88.37f);
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, hi), lo);  // pmin/pmax return their first operand for NaN: NaN stays NaN
  // n = round(x/ln2) by the 1.5·2^23 trick: after adding it, the low mantissa bits of t hold n (plus 2^22).
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), magic);
  const v128_t n = wasm_f32x4_sub(t, magic);
  // 0.693359375 has 9 significant bits: n·ln2_hi is exact for |n| ≤ 128. ln2_lo = ln2 − ln2_hi.
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440054690583e-4f)));
  const v128_t er = exp_reduced_f32x4(r);
  // 2^n for n in [-126, 127]: biased exponent n + 127 in bits 23..30; bits(t) = bits(magic) + n.
  const v128_t two_n = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return wasm_f32x4_mul(er, two_n);
}

// e^(hi + lo) · 2^bias for float32 lanes, where the argument is carried as two floats (|lo| small next to |hi|, as
// from an exact square split in two): the reduction r = (hi − n·ln2_hi) + (lo − n·ln2_lo) keeps the bits of lo that
// a single float argument would round away, so the result is within ~1 ulp of e^(hi+lo) even for |hi + lo| ~ 100
// (where rounding the argument to one float alone costs ~100·2^-24 ≈ 6e-6 relative). hi − n·ln2_hi is exact when
// hi has at most ~16 significant bits above 2^-2 or |hi| < 1 (Sterbenz), which is how the callers build it.
// No clamping: the caller keeps n + bias within [−126, 127] (n = round((hi + lo)/ln2)); the bias lets results
// below the float32 normal range be formed exactly and scaled down afterwards (gradual underflow).
static inline v128_t exp_split_scaled_f32x4(v128_t hi, v128_t lo, int bias) {
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_add(hi, lo), wasm_f32x4_splat(1.44269504088896341f)), magic);
  const v128_t n = wasm_f32x4_sub(t, magic);
  const v128_t r_hi = wasm_f32x4_sub(hi, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  const v128_t r_lo = wasm_f32x4_sub(lo, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440054690583e-4f)));
  const v128_t er = exp_reduced_f32x4(wasm_f32x4_add(r_hi, r_lo));
  const v128_t two_n = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127 + bias - 0x4B400000)), 23);
  return wasm_f32x4_mul(er, two_n);
}

static inline v128_t sigmoid_f32x4(v128_t a) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp_f32x4(wasm_f32x4_neg(a))));
}

static inline float sigmoid_f32(float a) {
  return wasm_f32x4_extract_lane(sigmoid_f32x4(wasm_f32x4_splat(a)), 0);
}

#endif  // IFSQ_SIMD_MATH_H
