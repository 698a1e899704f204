import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fusedGroupNormAvailable, fusedGroupNormSilu } from './group-norm.js';
import { prepareWasmBackend } from './index.js';
import { nativeKernels } from './native-kernels.js';
import { closeness, seededNormal } from './test-helpers.js';

// A runtime without WebAssembly SIMD: the embedded kernels do not load.
vi.mock('./native-kernels.js', () => ({ nativeKernels: () => undefined }));

const SHAPE: [number, number, number, number] = [2, 3, 5, 12];

beforeAll(async () => {
  await prepareWasmBackend();
});

/** Output and x, gamma, beta gradients of `Σ w·GroupNorm(+SiLU)(x)` through the fused kernels on `backend`. */
async function fusedOn(backend: string, silu: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  expect(fusedGroupNormAvailable()).toBe(true); // also registers the kernels
  const x = tf.tensor4d(seededNormal(SHAPE, 'missing/x'), SHAPE);
  const w = tf.tensor4d(seededNormal(SHAPE, 'missing/w'), SHAPE);
  const gamma = tf.tensor1d(seededNormal([SHAPE[3]], 'missing/g')).add(1);
  const beta = tf.tensor1d(seededNormal([SHAPE[3]], 'missing/b'));
  const before = tf.memory().numTensors;
  const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => fusedGroupNormSilu(xi as tf.Tensor4D, gi, bi, 3, 1e-6, silu);
  const y = f(x, gamma, beta);
  const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(f(xi, gi, bi), w)))([x, gamma, beta]);
  const out = [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([y, ...grads]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, w, gamma, beta]);
  return out;
}

describe('fused GroupNorm on wasm without the SIMD kernels', () => {
  it('sees no native kernels (the mock is in place)', () => {
    expect(nativeKernels()).toBeUndefined();
  });

  for (const silu of [false, true]) {
    it(`falls back to the JS loops and matches cpu${silu ? ' with SiLU' : ''}, leaking nothing`, async () => {
      const cpu = await fusedOn('cpu', silu);
      const wasm = await fusedOn('wasm', silu);
      for (let i = 0; i < cpu.length; i++) expect(closeness(wasm[i], cpu[i], 1e-5, 2e-5), `output ${i}`).toBeLessThanOrEqual(1);
    });
  }
});
