import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCloseToFixture, fromFixture, loadNnFixtures } from '../../test/fixtures/nn/fixtures.js';
import { warmupCosineLr } from './schedule.js';
import { clipGradNorm } from './clip.js';

const fx = loadNnFixtures();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('warmupCosineLr', () => {
  it("matches torch's LinearLR warmup followed by CosineAnnealingLR", () => {
    const s = fx.schedule;
    const lrs = (s.lrs as number[]).map((_, step) => warmupCosineLr(step, s));
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(s.lrs[i], 10));
  });

  it('stays at minLr after totalSteps and needs no warmup', () => {
    const o = { baseLr: 1, totalSteps: 10, minLr: 0.1 };
    expect(warmupCosineLr(0, o)).toBe(1);
    expect(warmupCosineLr(5, o)).toBeCloseTo(0.55, 12);
    expect(warmupCosineLr(10, o)).toBe(0.1);
    expect(warmupCosineLr(1000, o)).toBe(0.1);
  });

  it('rejects a total shorter than the warmup', () => {
    expect(() => warmupCosineLr(0, { baseLr: 1, warmupSteps: 5, totalSteps: 3 })).toThrow(/totalSteps/);
  });
});

describe('clipGradNorm', () => {
  it.each(['clipped', 'unclipped'])('matches torch clip_grad_norm_ (%s case)', (label) => {
    const c = fx.clip[label];
    const g1 = fromFixture(c.g1);
    const g2 = fromFixture(c.g2);
    const before = tf.memory().numTensors;
    const { grads, norm } = clipGradNorm(new Map([['a', g1], ['b', g2]]), fx.clip.maxNorm);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(norm.dataSync()[0]).toBeCloseTo(c.norm, 5);
    expectCloseToFixture(grads.get('a')!, c.c1, 1e-6);
    expectCloseToFixture(grads.get('b')!, c.c2, 1e-6);
    tf.dispose([g1, g2, norm, ...grads.values()]);
  });

  it('only measures the norm when maxNorm is Infinity', () => {
    const g = tf.tensor1d([3, 4]);
    const { grads, norm } = clipGradNorm({ g }, Infinity);
    expect(norm.dataSync()[0]).toBe(5);
    expect(Array.from(grads.get('g')!.dataSync())).toEqual([3, 4]);
    tf.dispose([g, norm, ...grads.values()]);
  });
});
