import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { fusedLayerNorm, fusedLayerNormAvailable } from './layer-norm.js';
import { nativeKernels } from './native-kernels.js';
import { seededNormal } from './test-helpers.js';

// A runtime without WebAssembly SIMD: the embedded kernels do not load.
vi.mock('./native-kernels.js', () => ({ nativeKernels: () => undefined }));

const SHAPE = [3, 5, 24];

beforeAll(async () => {
  await prepareWasmBackend();
});

/** Output and x, gamma, beta gradients of `Σ w·LayerNorm(x)` through the fused kernels on `backend`. */
async function fusedOn(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  expect(fusedLayerNormAvailable()).toBe(true);
  const d = SHAPE[2];
  const x = tf.tensor(seededNormal(SHAPE, 'lnm/x', 2), SHAPE);
  const w = tf.tensor(seededNormal(SHAPE, 'lnm/w'), SHAPE);
  const gamma = tf.tensor(seededNormal([d], 'lnm/g'), [d]);
  const beta = tf.tensor(seededNormal([d], 'lnm/b'), [d]);
  const before = tf.memory().numTensors;
  const y = fusedLayerNorm(x, gamma, beta, 1e-5);
  const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(xi, gi, bi, 1e-5), w)))([x, gamma, beta]);
  const out = [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([y, ...grads]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, w, gamma, beta]);
  return out;
}

describe('fused LayerNorm on wasm without the SIMD kernels', () => {
  it('sees no native kernels (the mock is in place)', () => {
    expect(nativeKernels()).toBeUndefined();
  });

  it('falls back to the JS loops and matches cpu bit for bit, leaking nothing', async () => {
    const cpu = await fusedOn('cpu');
    const wasm = await fusedOn('wasm');
    for (let i = 0; i < cpu.length; i++) expect(wasm[i], `output ${i}`).toEqual(cpu[i]);
  });
});
