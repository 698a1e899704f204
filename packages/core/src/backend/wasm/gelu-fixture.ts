import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { fusedGelu } from './gelu.js';
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

/** Largest `|actual − expected| / (rtol·scale + atol)`, with `scale[i]` defaulting to `|expected[i]|`. */
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
    const e = Math.abs(actual[i] - expected[i]) / (rtol * s + atol);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** Fused GELU and its gradient (upstream gradient 1) at the fixture points on the current backend. */
export function fusedAtFixture(variant: GeluForm): { y: Float32Array; dy: Float32Array } {
  const x = tf.tensor1d(loadGeluFixture().x);
  const [y, dy] = tf.tidy(() => [fusedGelu(x, variant), tf.grad((xi: tf.Tensor) => tf.sum(fusedGelu(xi, variant)))(x)]);
  const out = { y: Float32Array.from(y.dataSync()), dy: Float32Array.from(dy.dataSync()) };
  tf.dispose([x, y, dy]);
  return out;
}

/**
 * How far the fused values are from the fixture, in units of the tolerance (≤ 1 passes): forward
 * `4e-7·|ref| + 1e-37`; derivative `1e-6·|ref| + 1e-12` for erf, `1e-6·dscale + 1e-12` for tanh (whose float32
 * derivative cancels near its zero at x ≈ −0.75).
 */
export function fixtureErrors(variant: GeluForm, got: { y: Float32Array; dy: Float32Array }): { y: number; dy: number } {
  const ref = loadGeluFixture()[variant];
  return {
    y: worstError(got.y, ref.y, 4e-7, 1e-37),
    dy: worstError(got.dy, ref.dy, 1e-6, 1e-12, variant === 'tanh' ? ref.dscale : undefined),
  };
}
