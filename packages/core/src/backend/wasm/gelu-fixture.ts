import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { fusedGelu, GELU_GRAD_KERNEL } from './gelu.js';
import type { GeluForm } from './gelu-math.js';

/** Reference values of `test/fixtures/nn/gelu_fixture.json` (mpmath, 60 digits; see make_gelu_fixture.py). */
export interface GeluFixture {
  /** Points, exact float32 values. */
  x: number[];
  erf: GeluFixtureValues;
  tanh: GeluFixtureValues;
}

/** Values of one variant at the fixture's points. */
export interface GeluFixtureValues {
  /** GELU(x). */
  y: number[];
  /** GELU'(x). */
  dy: number[];
  /** Size of the derivative's two terms (the scale float32 evaluation can be accurate to near its zero). */
  dscale: number[];
}

let cached: GeluFixture | undefined;

/** Loads the GELU fixture (once). */
export function loadGeluFixture(): GeluFixture {
  cached ??= JSON.parse(
    readFileSync(new URL('../../../test/fixtures/nn/gelu_fixture.json', import.meta.url), 'utf8'),
  ) as GeluFixture;
  return cached;
}

/** Largest `|actual − expected| / max(rtol·scale, atol)`, with `scale[i]` defaulting to `|expected[i]|`. */
export function worstError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  scale?: ArrayLike<number>,
): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const s = scale ? scale[i] : Math.abs(expected[i]);
    const e = Math.abs(actual[i] - expected[i]) / Math.max(rtol * s, atol);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** Values of the fused kernels at the fixture points. */
export interface FusedGeluValues {
  /** `fusedGelu(x)` outside a gradient tape. */
  y: Float32Array;
  /** Its gradient through `tf.grad` (the forward saves GELU'(x); the backward multiplies). */
  dy: Float32Array;
  /** The gradient kernel run directly with upstream gradient 1 (the backward from x alone). */
  dyKernel: Float32Array;
}

/** Fused GELU and its gradient (upstream gradient 1), both ways, at the fixture points on the current backend. */
export function fusedAtFixture(variant: GeluForm): FusedGeluValues {
  const x = tf.tensor1d(loadGeluFixture().x);
  const outs = tf.tidy(() => [
    fusedGelu(x, variant),
    tf.grad((xi: tf.Tensor) => tf.sum(fusedGelu(xi, variant)))(x),
    tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: tf.onesLike(x), x }, { approximate: variant === 'tanh' }) as tf.Tensor,
  ]);
  const [y, dy, dyKernel] = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([x, ...outs]);
  return { y, dy, dyKernel };
}

/**
 * The accuracy contract of the fused GELU (native kernels and JS fallback alike), as tolerances `max(rtol·scale, atol)`:
 * the forward to {@link GELU_Y_RTOL} relative (scale `|GELU(x)|`); the derivative to {@link GELU_DY_RTOL} of the size
 * of its two terms (`|Φ(x)| + |x·φ(x)|` for erf, the two terms of the tanh form; the fixture's `dscale`), which is
 * relative except near the derivative's zero at x ≈ −0.75, where float32 evaluation can only be accurate to that
 * scale. Both with the absolute floor {@link GELU_ATOL} for values near or below the float32 normal range.
 */
export const GELU_Y_RTOL = 1e-6;
/** See {@link GELU_Y_RTOL}. */
export const GELU_DY_RTOL = 2e-6;
/** See {@link GELU_Y_RTOL}. */
export const GELU_ATOL = 1e-37;

/**
 * How far the fused values are from the fixture, in units of the contract's tolerance (≤ 1 passes; see
 * {@link GELU_Y_RTOL}).
 */
export function fixtureErrors(variant: GeluForm, got: FusedGeluValues): { y: number; dy: number; dyKernel: number } {
  const ref = loadGeluFixture()[variant];
  return {
    y: worstError(got.y, ref.y, GELU_Y_RTOL, GELU_ATOL),
    dy: worstError(got.dy, ref.dy, GELU_DY_RTOL, GELU_ATOL, ref.dscale),
    dyKernel: worstError(got.dyKernel, ref.dy, GELU_DY_RTOL, GELU_ATOL, ref.dscale),
  };
}
