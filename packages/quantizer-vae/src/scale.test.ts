import * as tf from '@tensorflow/tfjs';
import type { LatentSpec } from '@ifsq/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureLatentScale } from '@ifsq/core';
import { denormalizeLatent, normalizeLatent, withScale } from './scale.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});


describe('normalizeLatent / denormalizeLatent', () => {
  it('multiplies by a constant factor and divides it back', () => {
    const codes = tf.tensor4d([1, -2, 4, 0.5], [1, 1, 2, 2]);
    const n = normalizeLatent(codes, { kind: 'constant', factor: 0.18215 });
    expect(Array.from(n.dataSync())).toEqual(Array.from(new Float32Array([0.18215, -0.3643, 0.7286, 0.091075])));
    const back = denormalizeLatent(n, { kind: 'constant', factor: 0.18215 });
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([1, -2, 4, 0.5][i], 5));
    tf.dispose([codes, n, back]);
  });

  it('standardises per channel to zero mean and unit std, and inverts exactly', () => {
    const codes = tf.tensor4d([1, 10, 2, 10, 3, 20, 4, 20], [1, 2, 2, 2]);
    const scale = measureLatentScale([codes]);
    const n = normalizeLatent(codes, scale);
    // (x − 2.5)/√1.25 for channel 0, (x − 15)/5 for channel 1.
    const s = Math.sqrt(1.25);
    const expected = [-1.5 / s, -1, -0.5 / s, -1, 0.5 / s, 1, 1.5 / s, 1];
    Array.from(n.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    const back = denormalizeLatent(n, scale);
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([1, 10, 2, 10, 3, 20, 4, 20][i], 5));
    const before = tf.memory().numTensors;
    tf.dispose(normalizeLatent(codes, scale));
    tf.dispose(denormalizeLatent(codes, scale));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([codes, n, back]);
  });

  it('rejects a scale whose channel count differs from the codes', () => {
    const codes = tf.zeros([1, 1, 1, 3]);
    expect(() => normalizeLatent(codes, { kind: 'per-channel', mean: [0, 0], std: [1, 1] })).toThrow(
      /normalizeLatent: per-channel mean and std must have 3 entries/,
    );
    codes.dispose();
  });
});

describe('withScale', () => {
  const spec: LatentSpec = {
    channels: 2,
    kind: 'continuous',
    valueRange: null,
    bitsPerValue: 16,
    valuesPerPosition: 2,
    scale: { kind: 'constant', factor: 1 },
  };

  it('returns a copy of the spec carrying the scale', () => {
    const scale = { kind: 'per-channel' as const, mean: [1, 2], std: [3, 4] };
    const out = withScale(spec, scale);
    expect(out).toEqual({ ...spec, scale });
    expect(spec.scale).toEqual({ kind: 'constant', factor: 1 });
    scale.mean[0] = 99;
    expect(out.scale).toEqual({ kind: 'per-channel', mean: [1, 2], std: [3, 4] });
  });

  it('rejects a non-positive std naming the channel', () => {
    expect(() => withScale(spec, { kind: 'per-channel', mean: [0, 0], std: [1, 0] })).toThrow(/std\[1\] must be/);
  });
});
