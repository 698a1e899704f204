import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { seededNormal, valuesOn } from './test-helpers.js';

beforeAll(async () => {
  await prepareWasmBackend();
});

describe('wasm Reverse equals the cpu kernel bit for bit', () => {
  const cases: Array<[number[], number[]]> = [
    [[3, 3, 4, 5], [0, 1]], // a conv filter flipped spatially
    [[7], [0]],
    [[4, 6], [1]],
    [[4, 6], [0, 1]],
    [[2, 3, 4], [0, 2]],
    [[2, 1, 5, 3], [1, 3]],
    [[3, 4], []],
  ];
  for (const [shape, axes] of cases) {
    it(`[${shape.join(',')}] along [${axes.join(',')}]`, async () => {
      const x = seededNormal(shape, `r${shape.join(',')}`);
      const run = () => tf.reverse(tf.tensor(x, shape), axes);
      expect(Array.from(await valuesOn('wasm', run))).toEqual(Array.from(await valuesOn('cpu', run)));
    });
  }

  it('moves int32 values and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    const t = tf.reverse(x, [0, 1]);
    expect(Array.from(await t.data())).toEqual([6, 5, 4, 3, 2, 1]);
    tf.dispose([x, t]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
