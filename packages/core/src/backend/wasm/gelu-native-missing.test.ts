import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtureErrors, fusedAtFixture } from './gelu-fixture.js';
import { fusedGeluAvailable } from './gelu.js';
import { prepareWasmBackend } from './index.js';
import { nativeKernels } from './native-kernels.js';

// A runtime without WebAssembly SIMD: the embedded kernels do not load.
vi.mock('./native-kernels.js', () => ({ nativeKernels: () => undefined }));

beforeAll(async () => {
  await prepareWasmBackend();
});

describe('fused GELU on wasm without the SIMD kernels', () => {
  it('sees no native kernels (the mock is in place)', () => {
    expect(nativeKernels()).toBeUndefined();
  });

  it.each(['erf', 'tanh'] as const)('falls back to the float64 JS loops and matches the fixture (%s form), leaking nothing', async (variant) => {
    await tf.setBackend('wasm');
    expect(fusedGeluAvailable()).toBe(true);
    const before = tf.memory().numTensors;
    const errors = fixtureErrors(variant, fusedAtFixture(variant));
    expect(tf.memory().numTensors).toBe(before);
    expect(errors.y, 'forward').toBeLessThanOrEqual(1);
    expect(errors.dy, 'derivative saved by the forward').toBeLessThanOrEqual(1);
    expect(errors.dyKernel, 'derivative from the gradient kernel').toBeLessThanOrEqual(1);
  });
});
