import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { threadedGemm } from './gemm-pool.js';
import { closeness, seededNormal, valuesOn } from './test-helpers.js';

describe('wasm BatchMatMul without a working GEMM', () => {
  it('retires a GEMM that no longer computes and multiplies on XNNPACK', async () => {
    await prepareWasmBackend();
    const gemm = threadedGemm()!;
    expect(gemm).toBeDefined();
    await gemm.dispose();
    expect(gemm.broken).toBe('disposed');
    expect(threadedGemm()).toBeUndefined();
    const run = () => tf.matMul(tf.tensor(seededNormal([64, 48], 'a'), [64, 48]), tf.tensor(seededNormal([48, 80], 'b'), [48, 80]));
    const expected = await valuesOn('cpu', run);
    const actual = await valuesOn('wasm', run);
    expect(closeness(actual, expected)).toBeLessThan(1);
  });
});
