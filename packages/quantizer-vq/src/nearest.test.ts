import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { l2NormalizeRows } from './graph.js';
import { nearestCodeIndices } from './nearest.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function search(z: number[][], codebook: number[][], maxChunkElements?: number, method?: 'tensor' | 'host'): number[] {
  return tf.tidy(() =>
    Array.from(nearestCodeIndices(tf.tensor2d(z), tf.tensor2d(codebook), { maxChunkElements, method }).dataSync()),
  );
}

describe('nearestCodeIndices', () => {
  for (const method of ['tensor', 'host'] as const) {
    it(`picks the code with the smallest squared Euclidean distance (${method})`, () => {
      // [0.9,0.1]: d = 0.02, 1.62, 3.62 → 0;  [-1,0.2]: d = 4.04, 2.44, 0.04 → 2;  [0.2,3]: d = 9.68, 4.04, 10.44 → 1
      expect(search([[0.9, 0.1], [-1, 0.2], [0.2, 3]], [[1, 0], [0, 1], [-1, 0]], undefined, method)).toEqual([0, 2, 1]);
    });

    it(`breaks ties toward the lowest index, also across codebook chunks (${method})`, () => {
      // [0,0] is at distance 1 from all three codes; [0.5,0.5] at 0.5 from codes 0 and 1.
      const codes = [[1, 0], [0, 1], [-1, 0]];
      expect(search([[0, 0], [0.5, 0.5]], codes, undefined, method)).toEqual([0, 0]);
      expect(search([[0, 0], [0.5, 0.5]], codes, 1, method)).toEqual([0, 0]);
      expect(search([[0, 0], [0.5, 0.5]], codes, 2, method)).toEqual([0, 0]);
    });
  }

  it('searches by cosine when inputs and codes are L2-normalised', () => {
    // z = [2,0.1]. Euclidean: d(A=[0.1,0]) = 3.62, d(B=[2,1]) = 0.81 → B.
    // Cosine: angle(z) = 2.9°, angle(A) = 0°, angle(B) = 26.6° → A.
    const z = [[2, 0.1]];
    const codes = [[0.1, 0], [2, 1]];
    expect(search(z, codes)).toEqual([1]);
    const cosine = tf.tidy(() =>
      Array.from(nearestCodeIndices(l2NormalizeRows(tf.tensor2d(z)), l2NormalizeRows(tf.tensor2d(codes))).dataSync()),
    );
    expect(cosine).toEqual([0]);
  });

  it('gives the same indices chunked as unchunked', () => {
    const z = tf.randomNormal([37, 3], 0, 1, 'float32', 3) as tf.Tensor2D;
    const codebook = tf.randomNormal([29, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
    const run = (options: { maxChunkElements?: number; method?: 'tensor' | 'host' }) =>
      tf.tidy(() => Array.from(nearestCodeIndices(z, codebook, options).dataSync()));
    const reference = run({ maxChunkElements: 37 * 29, method: 'tensor' });
    for (const chunk of [1, 5, 29, 30, 100]) expect(run({ maxChunkElements: chunk, method: 'tensor' })).toEqual(reference);
    expect(run({ method: 'host' })).toEqual(reference);
    // Independent brute force on the host.
    const zv = z.arraySync();
    const cv = codebook.arraySync();
    const brute = zv.map((row) => {
      let best = 0;
      let bestD = Infinity;
      cv.forEach((c, k) => {
        const d = c.reduce((s, v, i) => s + (v - row[i]) ** 2, 0);
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      });
      return best;
    });
    expect(reference).toEqual(brute);
    tf.dispose([z, codebook]);
  });

  it('frees every intermediate tensor', () => {
    const z = tf.randomNormal([20, 4]) as tf.Tensor2D;
    const codebook = tf.randomNormal([16, 4]) as tf.Tensor2D;
    for (const method of ['tensor', 'host'] as const) {
      const before = tf.memory().numTensors;
      const idx = nearestCodeIndices(z, codebook, { maxChunkElements: 7, method });
      expect(tf.memory().numTensors).toBe(before + 1);
      idx.dispose();
    }
    tf.dispose([z, codebook]);
  });

  it('gives the same chunked indices on wasm as the host search', async () => {
    const zv = tf.randomNormal([33, 4], 0, 1, 'float32', 8).arraySync() as number[][];
    const cv = tf.randomNormal([50, 4], 0, 1, 'float32', 9).arraySync() as number[][];
    const host = search(zv, cv, undefined, 'host');
    await tf.setBackend('wasm');
    try {
      expect(search(zv, cv, 64)).toEqual(host);
      expect(search(zv, cv)).toEqual(host);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('rejects a channel mismatch with a message naming both sizes', () => {
    expect(() => search([[1, 2, 3]], [[1, 2]])).toThrow(/3 channels but the codebook has 2/);
  });
});
