import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { INCEPTION_CONVS } from './inception-layout.js';
import { InceptionV3FeatureExtractor, randomInceptionWeights } from './inception.js';
import { weightsFromMap } from './weights.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('InceptionV3FeatureExtractor (pytorch-fid layout)', () => {
  it('averages only in-bounds values in same-padded average pooling (count_include_pad=False)', () => {
    const p = tf.avgPool(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, 3, 1, 'same');
    expect(Array.from(p.dataSync())).toEqual(new Array(9).fill(1));
    p.dispose();
  });

  it('has the 94 BasicConv2d layers of the FID network ending in 2048 channels', () => {
    expect(INCEPTION_CONVS.length).toBe(94);
    const last = INCEPTION_CONVS.filter((c) => c.name.startsWith('Mixed_7c'));
    expect(last.reduce((s, c) => s + (c.name.endsWith('_2a') || c.name.endsWith('_2b') || c.name.endsWith('_3a') || c.name.endsWith('_3b') || c.name.endsWith('1x1') || c.name.endsWith('pool') ? c.outChannels : 0), 0)).toBe(2048);
  });

  it('maps images to deterministic 2048-d features with seeded weights, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const net = InceptionV3FeatureExtractor.fromWeights(weightsFromMap(randomInceptionWeights(7)), { inputSize: 75 });
    const afterLoad = tf.memory().numTensors;
    const images = tf.tidy(() => tf.tanh(tf.randomNormal([2, 40, 40, 3], 0, 1, 'float32', 3))) as tf.Tensor4D;
    const f1 = net.extract(images);
    const f2 = net.extract(images);
    expect(f1.shape).toEqual([2, 2048]);
    const a = f1.dataSync();
    expect(Array.from(a)).toEqual(Array.from(f2.dataSync()));
    expect(a.every(Number.isFinite)).toBe(true);
    expect(Math.max(...a)).toBeGreaterThan(0); // ReLU features, not all dead
    expect(a.slice(0, 2048).some((v, i) => v !== a[2048 + i])).toBe(true); // different images, different features
    tf.dispose([f1, f2, images]);
    expect(tf.memory().numTensors).toBe(afterLoad);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(net.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects weights with a misshapen tensor, naming it', () => {
    const w = new Map<string, tf.Tensor>([['Conv2d_1a_3x3.conv.weight', tf.zeros([32, 3, 1, 1])]]);
    expect(() => InceptionV3FeatureExtractor.fromWeights(weightsFromMap(w))).toThrow(/Conv2d_1a_3x3.conv.weight" must have shape \[32,3,3,3\]/);
    for (const t of w.values()) t.dispose();
  });

  it('requires a weights file', async () => {
    await expect(InceptionV3FeatureExtractor.load(undefined)).rejects.toThrow(/inception-v3: no weights file given/);
  });
});
