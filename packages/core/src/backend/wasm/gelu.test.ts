import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gelu } from '../../nn/activations.js';
import { fixtureErrors, fusedAtFixture } from './gelu-fixture.js';
import { fusedGelu, fusedGeluAvailable, GELU_GRAD_KERNEL, GELU_KERNEL, setGeluFusion } from './gelu.js';
import { prepareWasmBackend } from './index.js';
import { nativeKernels } from './native-kernels.js';
import { closeness, seededNormal } from './test-helpers.js';

const VARIANTS = ['erf', 'tanh'] as const;

beforeAll(async () => {
  await prepareWasmBackend();
});

afterAll(async () => {
  setGeluFusion(true);
  await tf.setBackend('cpu');
});

// Accuracy contract, checked against the mpmath fixture (make_gelu_fixture.py) by fixtureErrors: the forward within
// 1e-6 relative (absolute 1e-37 where |GELU(x)| < 1e-31, i.e. toward the float32 subnormal range); the derivative
// within 2e-6 of the size of its terms (|Φ(x)| + |x·φ(x)|, resp. the two terms of the tanh form), which is relative
// except near the derivative's zero at x ≈ −0.75 (absolute floor 1e-37 as well).
describe.each(['cpu', 'wasm'])('fused GELU on %s', (backend) => {
  it.each(VARIANTS)('matches the mpmath fixture (%s form) forward to 1e-6 relative and in gradient to 2e-6 of its terms', async (variant) => {
    await tf.setBackend(backend);
    expect(fusedGeluAvailable()).toBe(true);
    if (backend === 'wasm') expect(nativeKernels()).toBeDefined();
    const errors = fixtureErrors(variant, fusedAtFixture(variant));
    expect(errors.y, 'forward').toBeLessThanOrEqual(1);
    expect(errors.dy, 'derivative saved by the forward').toBeLessThanOrEqual(1);
    expect(errors.dyKernel, 'derivative from the gradient kernel').toBeLessThanOrEqual(1);
  });

  it.each(VARIANTS)('sends ±inf to 0 and +inf, gradients 0 and 1, and keeps NaN (%s form)', async (variant) => {
    await tf.setBackend(backend);
    const x = tf.tensor1d([-Infinity, Infinity, NaN, -1e30, 1e30, 0]);
    const y = tf.tidy(() => fusedGelu(x, variant));
    const g = tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(fusedGelu(xi, variant)))(x));
    const [yv, gv] = [Array.from(y.dataSync()), Array.from(g.dataSync())];
    expect(yv[0] === 0 && yv[3] === 0 && yv[5] === 0).toBe(true);
    expect([yv[1], yv[4]]).toEqual([Infinity, Math.fround(1e30)]);
    expect(Number.isNaN(yv[2])).toBe(true);
    expect([gv[0] === 0, gv[1], Number.isNaN(gv[2]), gv[3] === 0, gv[4], gv[5]]).toEqual([true, 1, true, true, 1, 0.5]);
    tf.dispose([x, y, g]);
  });

  it.each(VARIANTS)('gives nn.gelu the gradient of the op graph (%s form): one kernel forward, one multiply back', async (variant) => {
    await tf.setBackend(backend);
    const shape = [4, 33];
    const x = tf.tensor(seededNormal(shape, `gelu/x/${variant}`, 2), shape);
    const w = tf.tensor(seededNormal(shape, `gelu/w/${variant}`), shape);
    const loss = (xi: tf.Tensor) => tf.sum(tf.mul(gelu(xi, variant), w));
    let fused: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      fused = [gelu(x, variant), tf.grad(loss)(x)];
    });
    const gelus = profile.kernels.filter((k) => k.name === GELU_KERNEL);
    // Outside the tape only y; under tf.grad also GELU'(x), which the backward multiplies by dy.
    expect(gelus.map((k) => k.outputShapes.length)).toEqual([1, 2]);
    expect(profile.kernels.map((k) => k.name)).not.toContain(GELU_GRAD_KERNEL);
    setGeluFusion(false);
    let graph: tf.Tensor[] = [];
    const graphProfile = await tf.profile(() => {
      graph = [gelu(x, variant), tf.grad(loss)(x)];
    });
    setGeluFusion(true);
    expect(graphProfile.kernels.map((k) => k.name)).not.toContain(GELU_KERNEL);
    // The op graph's Erf (Abramowitz–Stegun 7.1.26) is accurate to 1.5e-7 absolute, hence the absolute tolerance.
    for (let i = 0; i < 2; i++) expect(closeness(fused[i].dataSync(), graph[i].dataSync(), 1e-5, 1e-6), `output ${i}`).toBeLessThanOrEqual(1);
    tf.dispose([x, w, ...fused, ...graph]);
  });

  it('leaks no tensor over forward and backward', async () => {
    await tf.setBackend(backend);
    const x = tf.tensor(seededNormal([3, 7], 'gelu/leak'), [3, 7]);
    const before = tf.memory().numTensors;
    for (const variant of VARIANTS) {
      const y = fusedGelu(x, variant);
      const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.square(gelu(xi, variant))))(x);
      tf.dispose([y, g]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('GELU kernels, errors and switches', () => {
  it('reports unavailable when switched off, and nn.gelu then composes the ops', async () => {
    await tf.setBackend('cpu');
    setGeluFusion(false);
    expect(fusedGeluAvailable()).toBe(false);
    const profile = await tf.profile(() => gelu(tf.tensor1d([1, -1])));
    setGeluFusion(true);
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('Erf');
    expect(names).not.toContain(GELU_KERNEL);
    tf.dispose(profile.result as tf.Tensor);
  });

  it('rejects a non-float32 input and an unknown variant by name', async () => {
    await tf.setBackend('cpu');
    fusedGeluAvailable();
    const i = tf.tensor1d([1, 2], 'int32');
    expect(() => tf.engine().runKernel(GELU_KERNEL, { x: i }, { approximate: false })).toThrow(/IfsqGelu: expected float32 'x', got int32/);
    expect(() => fusedGelu(tf.tensor1d([1]), 'relu' as 'erf')).toThrow(/unknown variant "relu"/);
    i.dispose();
  });

  it('computes in place in the native module for lengths that are not a multiple of 4', () => {
    const native = nativeKernels();
    expect(native).toBeDefined();
    // 15 = 8 + 4 + 3: the kernel's two-vector loop, its one-vector loop and the zero-padded tail.
    const x = Float32Array.from([-2, -1, 0, 1, 2, 3, -3, 0.5, -0.75, 1.5, -2.5, 2.5, -0.25, 0.25, -1.5]);
    const y = x.slice();
    native!.geluForward(y, y, 0);
    const dy = new Float32Array(x.length).fill(2);
    native!.geluBackward(dy, x, dy, 0);
    const phi = (v: number) => 0.5 * (1 + erf(v / Math.SQRT2));
    for (let i = 0; i < x.length; i++) {
      expect(y[i]).toBeCloseTo(x[i] * phi(x[i]), 6);
      expect(dy[i]).toBeCloseTo(2 * (phi(x[i]) + (x[i] * Math.exp((-x[i] * x[i]) / 2)) / Math.sqrt(2 * Math.PI)), 6);
    }
  });
});

/** erf by its Taylor series (plenty for |v| ≤ 3 at 1e-6). */
function erf(v: number): number {
  let term = v;
  let sum = v;
  for (let n = 1; n < 80; n++) {
    term *= (-v * v) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
