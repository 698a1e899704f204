import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClampQuantizer } from './clamp-quantizer.js';
import clampQuantizerPlugin from './plugin.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Hand-computed with levels [5, 3] (digit = round((clamp(z,-1,1) + 1)·(L−1)/2), code = digit/((L−1)/2) − 1,
 * index = d0 + 5·d1):
 *   z = [ 0.3, −2.0] → digits [3, 0] → codes [ 0.5, −1] → index 3
 *   z = [ 0.9,  0.1] → digits [4, 1] → codes [ 1.0,  0] → index 9
 *   z = [ 1.5,  0.7] → digits [4, 2] → codes [ 1.0,  1] → index 14
 *   z = [−0.6, −0.2] → digits [1, 1] → codes [−0.5,  0] → index 6
 */
const Z = [0.3, -2, 0.9, 0.1, 1.5, 0.7, -0.6, -0.2];
const CODES = [0.5, -1, 1, 0, 1, 1, -0.5, 0];
const INDICES = [3, 9, 14, 6];

describe('ClampQuantizer', () => {
  const q = new ClampQuantizer(tf, { levels: [5, 3] });

  it('declares a discrete latent with one vocabulary of prod(L) codes', () => {
    expect(q.spec).toMatchObject({ channels: 2, kind: 'discrete', valueRange: [-1, 1], levels: [5, 3], vocabSizes: [15], indexOrder: 'little' });
    expect(q.spec.bitsPerValue).toBeCloseTo((Math.log2(5) + Math.log2(3)) / 2, 12);
    expect(q.inputChannels).toBe(2);
  });

  it('clamps, rounds to the grid and numbers codes little-endian', () => {
    const z = tf.tensor4d(Z, [1, 2, 2, 2]);
    const out = q.quantize(z, { collectStats: true });
    expect(out.codes.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(out.codes.dataSync())).toEqual(CODES);
    expect(out.indices?.dtype).toBe('int32');
    expect(out.indices?.shape).toEqual([1, 2, 2]);
    expect(Array.from(out.indices?.dataSync() ?? [])).toEqual(INDICES);
    expect(out.auxLoss.dataSync()[0]).toBe(0);
    expect(out.stats.clamped_fraction).toBeCloseTo(2 / 8, 7);
    expect(out.stats.utilization).toBeCloseTo(4 / 15, 12);
    expect(out.stats.entropy_bits).toBeCloseTo(2, 12);
    expect(out.stats.entropy_norm).toBeCloseTo(2 / Math.log2(15), 12);
    expect(out.stats.perplexity).toBeCloseTo(4, 12);
    const mean = Z.reduce((a, b) => a + b, 0) / Z.length;
    expect(out.stats.latent_mean).toBeCloseTo(mean, 6);
    expect(out.stats.latent_var).toBeCloseTo(Z.reduce((a, b) => a + (b - mean) ** 2, 0) / Z.length, 5);
    tf.dispose([z, out.codes, out.indices as tf.Tensor, out.auxLoss]);
  });

  it('passes gradients straight through inside [-1, 1] and blocks them where clamped', () => {
    const z = tf.tensor4d(Z, [1, 2, 2, 2]);
    const w = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const grad = tf.grad((x: tf.Tensor) => q.quantize(x as tf.Tensor4D).codes.mul(w).sum())(z);
    // |z| > 1 at positions 1 (−2.0) and 4 (1.5): no gradient there; elsewhere d code / d z = 1.
    expect(Array.from(grad.dataSync())).toEqual([1, 0, 3, 4, 0, 6, 7, 8]);
    tf.dispose([z, w, grad]);
  });

  it('maps every index to a distinct grid code and back', () => {
    const all = tf.tensor3d(Array.from({ length: 15 }, (_, i) => i), [1, 3, 5], 'int32');
    const codes = q.indicesToCodes(all);
    const values = codes.arraySync()[0].flat();
    expect(new Set(values.map((c) => c.join(','))).size).toBe(15);
    expect(values[6]).toEqual([-0.5, 0]); // 6 = 1 + 5·1 → digits [1, 1]
    expect(values[13]).toEqual([0.5, 1]); // 13 = 3 + 5·2 → digits [3, 2]
    const back = q.codesToIndices(codes);
    expect(Array.from(back.dataSync())).toEqual(Array.from(all.dataSync()));
    tf.dispose([all, codes, back]);
  });

  it('exposes the clamped values before rounding', () => {
    const z = tf.tensor4d(Z, [1, 2, 2, 2]);
    const bounded = q.boundedValues(z);
    expect(Array.from(bounded.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([0.3, -1, 0.9, 0.1, 1, 0.7, -0.6, -0.2]);
    tf.dispose([z, bounded]);
  });

  it('leaks no tensors across quantize and the codecs', () => {
    const z = tf.tensor4d(Z, [1, 2, 2, 2]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const out = q.quantize(z, { collectStats: true });
      const idx = q.codesToIndices(out.codes);
      const codes = q.indicesToCodes(idx);
      const bounded = q.boundedValues(z);
      tf.dispose([out.codes, out.indices as tf.Tensor, out.auxLoss, idx, codes, bounded]);
    }
    expect(tf.memory().numTensors).toBe(before);
    z.dispose();
  });

  it('rejects a latent whose channels do not match the levels, and bad levels', () => {
    const z = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    expect(() => q.quantize(z)).toThrow('the latent must have shape [B,h,w,2] (one channel per level), got [1,2,2,3]');
    z.dispose();
    expect(() => new ClampQuantizer(tf, { levels: [5, 1] })).toThrow('levels must be a non-empty list of integers >= 2');
  });
});

describe('the clamp plugin entry', () => {
  it('creates the quantizer lazily from validated options through ctx.tf', async () => {
    const ctx = { tf } as unknown as Parameters<typeof clampQuantizerPlugin.create>[0];
    const made = await clampQuantizerPlugin.create(ctx, { levels: [3, 3, 3] });
    expect(made).toBeInstanceOf(ClampQuantizer);
    expect(made.spec.vocabSizes).toEqual([27]);
    expect(clampQuantizerPlugin.traits?.({ levels: [3] })).toEqual({ produces: 'discrete' });
  });
});
