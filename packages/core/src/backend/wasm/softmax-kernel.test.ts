import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { closeness, seededNormal, valuesOn } from './test-helpers.js';

beforeAll(async () => {
  await prepareWasmBackend();
});

describe('wasm Softmax', () => {
  for (const shape of [[4, 2, 64, 64], [7, 13], [3, 1], [5]]) {
    it(`matches the cpu kernel over the last axis of [${shape.join(',')}]`, async () => {
      const x = seededNormal(shape, `s${shape.join(',')}`).map((v) => 4 * v);
      const run = () => tf.softmax(tf.tensor(x, shape));
      const expected = await valuesOn('cpu', run);
      const actual = await valuesOn('wasm', run);
      expect(closeness(actual, expected, 2e-6, 1e-7)).toBeLessThan(1);
    });
  }

  it('matches the closed form of two logits and keeps masked entries at zero', async () => {
    const run = () => tf.softmax(tf.tensor([[0, Math.log(3)], [-1e9, 0]]));
    const v = await valuesOn('wasm', run);
    expect(v[0]).toBeCloseTo(0.25, 6);
    expect(v[1]).toBeCloseTo(0.75, 6);
    expect(v[2]).toBe(0);
    expect(v[3]).toBe(1);
  });

  it('has the same gradient as on cpu, and leaks nothing', async () => {
    const x = seededNormal([6, 10], 'g');
    const w = seededNormal([6, 10], 'w');
    const grad = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), tf.tensor(w, [6, 10]))))(tf.tensor(x, [6, 10]));
    const expected = await valuesOn('cpu', grad);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = await valuesOn('wasm', grad);
    expect(tf.memory().numTensors).toBe(before);
    expect(closeness(actual, expected, 1e-5, 1e-7)).toBeLessThan(1);
  });
});
