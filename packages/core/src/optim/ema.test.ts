import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ema } from './ema.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Ema', () => {
  it('equals decay^k·p0 + (1 − decay^k)·p after k updates with constant parameters', () => {
    const p = tf.variable(tf.tensor1d([1, -2, 4]));
    const ema = new Ema(new Map([['w', p]]), { decay: 0.9 });
    p.assign(tf.tensor1d([3, 0, -1]));
    const k = 7;
    for (let i = 0; i < k; i++) ema.update();
    const d = 0.9 ** k;
    const expected = [1 * d + 3 * (1 - d), -2 * d + 0, 4 * d - (1 - d)];
    const got = Array.from(ema.namedState().get('w')!.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(ema.updates).toBe(k);
    ema.dispose();
    p.dispose();
  });

  it('swaps shadow and model weights and back, and copies shadows into another model', () => {
    const p = tf.variable(tf.tensor1d([1, 1]));
    const ema = new Ema(new Map([['w', p]]), { decay: 0.5 });
    p.assign(tf.tensor1d([3, 5]));
    ema.update(); // shadow = [2, 3]
    ema.swap();
    expect(Array.from(p.dataSync())).toEqual([2, 3]);
    ema.swap();
    expect(Array.from(p.dataSync())).toEqual([3, 5]);
    const other = tf.variable(tf.zeros([2]));
    ema.copyTo(new Map([['w', other]]));
    expect(Array.from(other.dataSync())).toEqual([2, 3]);
    expect(() => ema.copyTo(new Map())).toThrow(/no variable "w"/);
    tf.dispose([p, other]);
    ema.dispose();
  });

  it('restores shadows from saved tensors and leaks nothing per update', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const ema = new Ema(new Map([['w', p]]));
    ema.update();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) ema.update();
    ema.swap();
    ema.swap();
    expect(tf.memory().numTensors).toBe(before);
    const saved = tf.tensor1d([7, 8]);
    ema.setState({ updates: 42, tensors: { w: saved } });
    expect(Array.from(ema.namedState().get('w')!.dataSync())).toEqual([7, 8]);
    expect(ema.updates).toBe(42);
    tf.dispose([p, saved]);
    ema.dispose();
  });
});
