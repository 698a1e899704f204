import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { VectorQuantizer } from './vq-quantizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('VectorQuantizer with a 16384-entry codebook', () => {
  it('runs a training step with peak memory bounded by the search chunk, not by N×K', async () => {
    // The tensor search path is the one that could materialise N×K; force it (auto would pick host on cpu).
    // N = 2·16·16 = 512 positions, K = 16384, e = 8: a full distance matrix would be 512·16384·4 B = 32 MiB.
    // With 2^20-entry chunks (4 MiB; at most two alive) the step's peak stays well below that.
    const q = new VectorQuantizer({ codebookSize: 16384, codebookDim: 8, searchChunkElements: 1 << 20, searchMethod: 'tensor', seed: 1 });
    const z = tf.randomNormal([2, 16, 16, 8], 0, 0.01, 'float32', 3) as tf.Tensor4D;
    const started = performance.now();
    const info = await tf.profile(() => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => q.quantize(z, { training: true }).auxLoss);
        return grads[q.codebook.name];
      }).dispose();
    });
    const ms = performance.now() - started;
    const fullMatrixBytes = 512 * 16384 * 4;
    console.log(
      `K=16384 e=8 N=512 first training step (tensor search, cpu): ${ms.toFixed(0)} ms, peak ${(info.peakBytes / 2 ** 20).toFixed(1)} MiB ` +
        `(full distance matrix would be ${(fullMatrixBytes / 2 ** 20).toFixed(0)} MiB)`,
    );
    expect(info.peakBytes - info.newBytes).toBeLessThan(fullMatrixBytes / 2);
    tf.dispose(z);
    q.dispose();
  });
});
