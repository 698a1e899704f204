import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GaussianStatsAccumulator } from '../fid/gaussian-stats.js';
import { frechetDistance } from '../fid/frechet.js';
import { FmnistFeatureExtractor, defaultFmnistWeightsPath } from './fmnist.js';

const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const fixture = JSON.parse(readFileSync(new URL('./fixtures/fmnist-features.json', import.meta.url), 'utf8')) as {
  images_uint8: number[][];
  features: number[][];
};

let net: FmnistFeatureExtractor;

beforeAll(async () => {
  await tf.setBackend('cpu');
  net = await FmnistFeatureExtractor.load();
});

afterAll(() => net.dispose());

function toImages(u8: ArrayLike<number>, n: number): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.mul(tf.tensor4d(Float32Array.from(u8), [n, 28, 28, 1]), 2 / 255), 1)) as tf.Tensor4D;
}

function statsOf(images: tf.Tensor4D): { mu: Float64Array; sigma: Float64Array } {
  const acc = new GaussianStatsAccumulator();
  const f = net.extract(images);
  acc.addRows(f.dataSync(), f.shape[0], f.shape[1]);
  f.dispose();
  return acc.stats();
}

describe('fmnist-features extractor', () => {
  it('ships small weights that load without network access', () => {
    expect(statSync(defaultFmnistWeightsPath()).size).toBeLessThan(1_000_000);
    expect(net.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(net.featureDim).toBe(64);
  });

  it('matches the torch features of the shipped test images within 1e-4, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const x = toImages(fixture.images_uint8.flat(), fixture.images_uint8.length);
    const f = net.extract(x);
    const got = f.arraySync();
    fixture.features.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(got[i][j] - v)).toBeLessThan(1e-4)));
    tf.dispose([x, f]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!existsSync(TEST_IMAGES))('separates real images from noise by a wide margin; a degraded copy lands in between', () => {
    const raw = gunzipSync(readFileSync(TEST_IMAGES));
    const n = 256;
    const pixels = raw.subarray(16, 16 + 2 * n * 784);
    const realA = toImages(pixels.subarray(0, n * 784), n);
    const realB = toImages(pixels.subarray(n * 784), n);
    const noise = tf.randomUniform([n, 28, 28, 1], -1, 1, 'float32', 1) as tf.Tensor4D;
    const degraded = tf.tidy(() => {
      const blurred = tf.avgPool(realB, 3, 1, 'same');
      return tf.clipByValue(tf.add(blurred, tf.randomNormal(blurred.shape, 0, 0.2, 'float32', 2)), -1, 1) as tf.Tensor4D;
    });
    const a = statsOf(realA);
    const fid = (x: tf.Tensor4D): number => {
      const s = statsOf(x);
      return frechetDistance(a.mu, a.sigma, s.mu, s.sigma);
    };
    const [fReal, fDegraded, fNoise] = [fid(realB), fid(degraded), fid(noise)];
    expect(fReal).toBeLessThan(fDegraded);
    expect(fDegraded).toBeLessThan(fNoise);
    expect(fNoise).toBeGreaterThan(10 * fReal);
    tf.dispose([realA, realB, noise, degraded]);
    console.log(`fmnist FID: real vs real ${fReal.toFixed(4)}, degraded ${fDegraded.toFixed(4)}, noise ${fNoise.toFixed(4)}`);
  });
});
