import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VqOptions } from './options.js';
import { VectorQuantizer } from './vq-quantizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * One training step as the real loop runs it: loss and gradients in `tf.variableGrads` over every trainable
 * variable (a linear "encoder" and the codebook), then an optimizer update.
 */
function makeStep(q: VectorQuantizer, optimizer: tf.Optimizer, x: tf.Tensor4D, encoder: tf.Variable) {
  return (collectStats: boolean) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const [b, h, w] = x.shape;
        const z = tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), encoder), [b, h, w, q.inputChannels]) as tf.Tensor4D;
        const r = q.quantize(z, { training: true, collectStats });
        const rec = tf.mean(tf.square(tf.sub(r.codes, tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 2]))));
        return tf.add(rec, r.auxLoss) as tf.Scalar;
      });
      optimizer.applyGradients(grads);
      return value.dataSync()[0];
    });
}

describe('VectorQuantizer training steps', () => {
  const configs: Array<[string, Partial<VqOptions>]> = [
    ['gradient codebook, standard loss', {}],
    ['legacy loss with cosine search and k-means init', { lossForm: 'legacy', l2Normalize: true, kmeansInit: true }],
    ['EMA codebook with k-means init and dead-code restart', { ema: true, kmeansInit: true, deadCodeThreshold: 1 }],
    ['gradient codebook with dead-code restart and a small window', { deadCodeThreshold: 0.5, usageWindow: 100 }],
  ];
  for (const [name, options] of configs) {
    it(`leaks no tensor across 50 steps (${name})`, () => {
      const q = new VectorQuantizer({ codebookSize: 64, codebookDim: 2, searchChunkElements: 1000, seed: 2, ...options });
      const x = tf.randomNormal([4, 4, 4, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const encoder = tf.variable(tf.randomNormal([3, 2], 0, 0.5, 'float32', 12), true, 'test_encoder');
      const optimizer = tf.train.adam(0.01);
      const step = makeStep(q, optimizer, x, encoder);
      step(true); // warm-up: optimizer slots, k-means init
      const before = tf.memory().numTensors;
      let loss = NaN;
      for (let i = 0; i < 50; i++) loss = step(i % 10 === 0);
      expect(tf.memory().numTensors).toBe(before);
      expect(Number.isFinite(loss)).toBe(true);
      optimizer.dispose();
      tf.dispose([x, encoder]);
      q.dispose();
    });
  }

  it('trains on wasm too (gradient and EMA codebooks, restart), without leaks', async () => {
    await tf.setBackend('wasm');
    try {
      for (const options of [{ deadCodeThreshold: 0.5 }, { ema: true, kmeansInit: true, deadCodeThreshold: 1 }]) {
        const q = new VectorQuantizer({ codebookSize: 64, codebookDim: 2, seed: 2, ...options });
        const x = tf.randomNormal([4, 4, 4, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
        const encoder = tf.variable(tf.randomNormal([3, 2], 0, 0.5, 'float32', 12), true, 'wasm_encoder');
        const optimizer = tf.train.adam(0.01);
        const step = makeStep(q, optimizer, x, encoder);
        const first = step(true);
        const before = tf.memory().numTensors;
        let last = first;
        for (let i = 0; i < 20; i++) last = step(i % 5 === 0);
        expect(tf.memory().numTensors).toBe(before);
        expect(last).toBeLessThan(first);
        optimizer.dispose();
        tf.dispose([x, encoder]);
        q.dispose();
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('ends a toy run with higher codebook usage with dead-code restart than without', () => {
    // 16 Gaussian blobs on a 4×4 grid (spacing 4, σ 0.3); K = 32 codes trained by gradient (Adam) on the VQ loss
    // alone; usage over the last 2048 assignments (8 batches) after 60 steps.
    const usageAfterTraining = (deadCodeThreshold: number) => {
      const q = new VectorQuantizer({ codebookSize: 32, codebookDim: 2, deadCodeThreshold, usageWindow: 2048, seed: 7 });
      const optimizer = tf.train.adam(0.05);
      let stats: Record<string, number> = {};
      for (let stepIndex = 0; stepIndex < 60; stepIndex++) {
        tf.tidy(() => {
          const blob = tf.randomUniform([256], 0, 16, 'int32', 1000 + stepIndex).toFloat();
          const centres = tf.mul(tf.stack([tf.floor(tf.div(blob, 4)), tf.mod(blob, 4)], 1), 4);
          const points = tf.add(tf.sub(centres, 6), tf.randomNormal([256, 2], 0, 0.3, 'float32', 2000 + stepIndex));
          const z = tf.reshape(points, [4, 8, 8, 2]) as tf.Tensor4D;
          const { grads } = tf.variableGrads(() => {
            const r = q.quantize(z, { training: true, collectStats: stepIndex === 59 });
            stats = r.stats;
            return r.auxLoss;
          }, q.trainableVariables());
          optimizer.applyGradients(grads as never);
        });
      }
      optimizer.dispose();
      q.dispose();
      return stats.utilization;
    };
    const without = usageAfterTraining(0);
    const withRestart = usageAfterTraining(1);
    console.log(`toy VQ usage after 60 steps (K=32, 16 blobs): without restart ${without}, with restart ${withRestart}`);
    expect(withRestart).toBeGreaterThan(without);
    expect(withRestart).toBeGreaterThan(0.5);
  });
});
