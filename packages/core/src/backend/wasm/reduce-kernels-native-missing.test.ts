import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { prepareWasmBackend } from './index.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';
import { closeness, seededNormal, valuesOn } from './test-helpers.js';

// A runtime without WebAssembly SIMD: the embedded kernels do not load.
vi.mock('./native-kernels.js', () => ({ nativeKernels: () => undefined }));

beforeAll(async () => {
  await prepareWasmBackend();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm Sum and Mean without the SIMD kernels', () => {
  it('sees no native kernels (the mock is in place)', () => {
    expect(nativeKernels()).toBeUndefined();
  });

  for (const c of [
    { shape: [64, 48], axes: [0] },
    { shape: [4, 6, 10], axes: [1] },
    { shape: [4, 5, 6, 3], axes: [0, 1, 2] },
  ]) {
    for (const op of ['sum', 'mean'] as const) {
      it(`falls back to the JS loop for ${op} over [${c.axes}] of [${c.shape}] and matches cpu, leaking nothing`, async () => {
        const values = seededNormal(c.shape, `reduce-missing/${c.shape}`);
        const run = () => tf[op](tf.tensor(values, c.shape), c.axes);
        const cpu = await valuesOn('cpu', run);
        await tf.setBackend('wasm');
        const backend = tf.backend() as unknown as WasmBackendLike;
        const ids = backend.numDataIds();
        const wasm = await valuesOn('wasm', run);
        expect(backend.numDataIds()).toBe(ids);
        expect(closeness(wasm, cpu, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
      });
    }
  }
});
