/**
 * GELU forward and backward over flat float32 arrays, evaluated in float64 (results rounded once to float32). Pure
 * loops, no tfjs: the `cpu` kernels run them on the backend's typed arrays, and the `wasm` kernels when the SIMD
 * kernels of `native/src/gelu.c` are unavailable. Same contract as that C file:
 *
 * - `'erf'`: `y = x·Φ(x)`, `Φ(x) = ½·erfc(−x/√2)`; `y' = Φ(x) + x·φ(x)`, `φ(x) = e^(−x²/2)/√(2π)`.
 * - `'tanh'`: `y = x·σ(w)`, `w = 2√(2/π)(x + 0.044715x³)` (= `½x(1 + tanh(w/2))`); `y' = σ(w)(1 + x·w'·(1 − σ(w)))`.
 *
 * Unlike tfjs' `Erf` (Abramowitz–Stegun 7.1.26, absolute error 1.5e-7, so Φ(x) = ½(1 + erf) is useless for x ≪ 0),
 * Φ for x < 0 is computed as the tail ½·erfc(|x|/√2) with small RELATIVE error: `erfc(z) = e^(−z²)·erfcx(z)` with
 * `erfcx(z) = t·G(t)`, `t = 1/(1 + z/2)` (the form of Numerical Recipes' Chebyshev-fitted erfc, 2nd ed. §6.2), and
 * `G` our own degree-22 Chebyshev fit on t ∈ [0.15, 1] (relative error 4.8e-15; made by
 * `packages/core/test/fixtures/nn/fit_erfcx.py`). Beyond |x| = 15 (erf) or 12 (tanh) the tails are far below float32
 * resolution: x below that (and −∞) gives `y = −0`, `y' = 0`; above, `y = x`, `y' = 1`; NaN stays NaN.
 */

/** Which GELU formula: the exact erf form, or PyTorch's `approximate='tanh'`. */
export type GeluForm = 'erf' | 'tanh';

const T_LO = 0.15;
/** Chebyshev coefficients of G(t) = erfcx(z)/t in u = (2t − 1 − T_LO)/(1 − T_LO). */
const G_CHEB = [
  0.61612834944207873, 0.33326331228297945, 0.049869045829186519, 0.001481413085000684, -0.0007139357155349263,
  -4.4819202346736452e-5, 1.6577142452797738e-5, 5.1061298919149947e-7, -4.8900595502066157e-7,
  2.4927751875857617e-8, 1.3018561235572864e-8, -2.3675793819973987e-9, -1.4491380106982576e-10,
  1.0860395417702605e-10, -1.1790281656510241e-11, -2.2962789211683542e-12, 9.0472344368738325e-13,
  -7.7831408395478748e-14, -2.379983742156104e-14, 8.2913046386363423e-15, -7.8205507407935823e-16,
  -4.1080888351352905e-16, -3.7069610326510835e-17,
];
const ERF_X_MAX = 15;
const TANH_X_MAX = 12;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const C1 = 2 * Math.sqrt(2 / Math.PI);
const C3 = C1 * 0.044715;

/** ½·erfcx(a/√2) for 0 ≤ a ≤ 15 (Clenshaw's recurrence for the Chebyshev series of G). */
function halfErfcx(a: number): number {
  const t = 1 / (1 + a * (Math.SQRT1_2 / 2));
  const u = (2 * t - 1 - T_LO) / (1 - T_LO);
  let b1 = 0;
  let b2 = 0;
  for (let k = G_CHEB.length - 1; k >= 1; k--) {
    const b0 = 2 * u * b1 - b2 + G_CHEB[k];
    b2 = b1;
    b1 = b0;
  }
  return 0.5 * t * (u * b1 - b2 + G_CHEB[0]);
}

/** GELU (erf form) of one value. */
export function geluErf(x: number): number {
  if (x < -ERF_X_MAX) return -0;
  if (x > ERF_X_MAX) return x;
  const a = Math.abs(x);
  const p = x * halfErfcx(a) * Math.exp(-0.5 * a * a); // x·½erfc(|x|/√2)
  return x < 0 ? p : x - p;
}

/** Derivative of the erf-form GELU at `x`. */
export function geluErfGrad(x: number): number {
  if (x < -ERF_X_MAX) return 0;
  if (x > ERF_X_MAX) return 1;
  const a = Math.abs(x);
  // x < 0: Φ + xφ = e^(−a²/2)·(½erfcx(a/√2) − a/√(2π)); x ≥ 0: 1 minus that (x = NaN falls through as NaN).
  const q = Math.exp(-0.5 * a * a) * (halfErfcx(a) - a * INV_SQRT_2PI);
  return x < 0 ? q : 1 - q;
}

/** `e = e^(−|w|)` and `d = 1/(1 + e)` for the tanh form at clamped `x`. */
function tanhParts(x: number): { e: number; d: number } {
  const e = Math.exp(-Math.abs(x * (C1 + C3 * x * x)));
  return { e, d: 1 / (1 + e) };
}

/** GELU (tanh form) of one value. */
export function geluTanh(x: number): number {
  if (x < -TANH_X_MAX) return -0;
  if (x > TANH_X_MAX) return x;
  const { e, d } = tanhParts(x);
  return x < 0 ? x * e * d : x * d; // σ(w) = e·d for w < 0, d for w ≥ 0
}

/** Derivative of the tanh-form GELU at `x`. */
export function geluTanhGrad(x: number): number {
  if (x < -TANH_X_MAX) return 0;
  if (x > TANH_X_MAX) return 1;
  const { e, d } = tanhParts(x);
  const k = x * (C1 + 3 * C3 * x * x); // x·w'
  return x < 0 ? e * d * (1 + k * d) : d * (1 + k * e * d);
}

/**
 * `y[i] = GELU(x[i])` for `i < x.length`, and `derivative[i] = GELU'(x[i])` when given; `y` may be `x`.
 */
export function geluForward(x: Float32Array, y: Float32Array, form: GeluForm, derivative?: Float32Array): void {
  const f = form === 'erf' ? geluErf : geluTanh;
  const g = form === 'erf' ? geluErfGrad : geluTanhGrad;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = f(v);
    if (derivative) derivative[i] = g(v);
  }
}

/** `dx[i] = dy[i]·GELU'(x[i])` for `i < x.length`; `dx` may be `dy`. */
export function geluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array, form: GeluForm): void {
  const g = form === 'erf' ? geluErfGrad : geluTanhGrad;
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * g(x[i]);
}
