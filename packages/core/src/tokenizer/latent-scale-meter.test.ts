import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LatentScaleMeter, measureLatentScale } from './latent-scale-meter.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('measureLatentScale', () => {
  it('matches the closed-form per-channel mean and population std across batches', () => {
    // Channel 0 takes 1,2,3,4 → mean 2.5, std √(((1.5²+0.5²)·2)/4) = √1.25;
    // channel 1 takes 10,10,20,20 → mean 15, std 5.
    const b1 = tf.tensor4d([1, 10, 2, 10], [1, 1, 2, 2]);
    const b2 = tf.tensor4d([3, 20, 4, 20], [1, 2, 1, 2]);
    const scale = measureLatentScale([b1, b2]);
    expect(scale.kind).toBe('per-channel');
    if (scale.kind !== 'per-channel') return;
    expect(scale.mean[0]).toBeCloseTo(2.5, 12);
    expect(scale.mean[1]).toBeCloseTo(15, 12);
    expect(scale.std[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(scale.std[1]).toBeCloseTo(5, 12);
    tf.dispose([b1, b2]);
  });

  it('agrees with a two-pass computation on large-offset data (numerically stable)', () => {
    const values = Array.from({ length: 3000 }, (_, i) => 1e6 + Math.sin(i) * (1 + (i % 3)));
    const meter = new LatentScaleMeter();
    meter.updateValues(values.slice(0, 999), 3);
    meter.updateValues(values.slice(999), 3);
    const scale = meter.result();
    if (scale.kind !== 'per-channel') throw new Error('expected per-channel');
    for (let c = 0; c < 3; c++) {
      const xs = values.filter((_, i) => i % 3 === c);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      expect(scale.mean[c]).toBeCloseTo(mean, 6);
      expect(scale.std[c]).toBeCloseTo(std, 9);
    }
    expect(meter.count).toBe(1000);
  });

  it('refuses a constant channel and an empty input', () => {
    const t = tf.tensor4d([1, 5, 2, 5], [1, 1, 2, 2]);
    expect(() => measureLatentScale([t])).toThrow(/channel 1 is constant/);
    expect(() => measureLatentScale([])).toThrow(/no latent values/);
    t.dispose();
  });
});
