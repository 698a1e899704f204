import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../random/rng.js';
import {
  normalInit,
  onesInit,
  resolveInitializer,
  torchDefaultBiasInit,
  torchDefaultWeightInit,
  xavierUniformInit,
  zerosInit,
} from './init.js';
import { Conv2d } from './conv2d.js';
import { Linear } from './linear.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function stats(t: tf.Tensor) {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
}

describe('initialisers', () => {
  it('draw the same values for the same seed and different ones for another seed', () => {
    const init = xavierUniformInit();
    const fans = { fanIn: 4, fanOut: 6 };
    const a = init([4, 6], fans, new SeededRng('w'));
    const b = init([4, 6], fans, new SeededRng('w'));
    const c = init([4, 6], fans, new SeededRng('other'));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    tf.dispose([a, b, c]);
  });

  it('xavier uniform stays within ±√(6/(fanIn+fanOut)) and has the uniform variance', () => {
    const t = xavierUniformInit()([100, 300], { fanIn: 100, fanOut: 300 }, new SeededRng(1));
    const bound = Math.sqrt(6 / 400);
    const s = stats(t);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    tf.dispose(t);
  });

  it('normal(0, 0.02) has that mean and standard deviation', () => {
    const t = normalInit()([200, 200], { fanIn: 200, fanOut: 200 }, new SeededRng(2));
    const s = stats(t);
    expect(Math.abs(s.mean)).toBeLessThan(3e-4);
    expect(s.std).toBeCloseTo(0.02, 3);
    tf.dispose(t);
  });

  it('torch default weight and bias inits are U(±1/√fanIn)', () => {
    const fans = { fanIn: 27, fanOut: 36 };
    const w = torchDefaultWeightInit([3, 3, 3, 4000], fans, new SeededRng(3));
    const b = torchDefaultBiasInit([4000], fans, new SeededRng(4));
    for (const s of [stats(w), stats(b)]) {
      expect(s.max).toBeLessThanOrEqual(1 / Math.sqrt(27));
      expect(s.min).toBeGreaterThanOrEqual(-1 / Math.sqrt(27));
      expect(s.max).toBeGreaterThan(0.95 / Math.sqrt(27));
    }
    tf.dispose([w, b]);
  });

  it('zeros and ones fill constants, and names resolve to the same functions', () => {
    const z = zerosInit([2, 2], { fanIn: 2, fanOut: 2 }, new SeededRng(0));
    const o = onesInit([3], { fanIn: 3, fanOut: 3 }, new SeededRng(0));
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(o.dataSync())).toEqual([1, 1, 1]);
    expect(resolveInitializer('zeros')).toBe(zerosInit);
    expect(() => resolveInitializer('he' as never)).toThrow(/Unknown initializer "he"/);
    tf.dispose([z, o]);
  });

  it('layers built from equal seeds have identical weights, and fan-in comes from the kernel', () => {
    const a = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, rng: new SeededRng('c') });
    const b = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, rng: new SeededRng('c') });
    expect(a.weight.arraySync()).toEqual(b.weight.arraySync());
    expect(stats(a.bias!).max).toBeLessThanOrEqual(1 / Math.sqrt(18));
    const lin = new Linear({ inFeatures: 3, outFeatures: 2, rng: new SeededRng(1), weightInit: 'zeros', biasInit: 'ones' });
    expect(Array.from(lin.weight.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(lin.bias!.dataSync())).toEqual([1, 1]);
    a.dispose();
    b.dispose();
    lin.dispose();
  });
});
