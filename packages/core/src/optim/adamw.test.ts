import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamwProblem, expectCloseToFixture, loadNnFixtures } from '../../test/fixtures/nn/fixtures.js';
import { AdamW } from './adamw.js';

const fx = loadNnFixtures().adamw;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const problem = () => adamwProblem(fx);

describe('AdamW', () => {
  it('matches torch.optim.AdamW with weight decay over 5 steps', () => {
    const { params, step, dispose } = problem();
    const opt = new AdamW(params, fx.options);
    for (const expected of fx.steps) {
      const loss = step(opt);
      expect(loss).toBeCloseTo(expected.loss, 4);
      expectCloseToFixture(params.get('p1')!, expected.p1, 1e-6);
      expectCloseToFixture(params.get('p2')!, expected.p2, 1e-6);
    }
    expect(opt.step).toBe(5);
    opt.dispose();
    dispose();
  });

  it('resumes exactly from a saved state', () => {
    const straight = problem();
    const optA = new AdamW(straight.params, fx.options);
    for (let i = 0; i < 5; i++) straight.step(optA);

    const first = problem();
    const optB = new AdamW(first.params, fx.options);
    first.step(optB);
    first.step(optB);
    const saved = optB.getState();
    const copies = new Map([...saved.tensors].map(([n, t]) => [n, tf.clone(t)]));
    const paramCopies = new Map([...first.params].map(([n, v]) => [n, tf.clone(v)]));

    const resumed = problem();
    for (const [n, v] of resumed.params) v.assign(paramCopies.get(n)!);
    const optC = new AdamW(resumed.params, fx.options);
    optC.setState({ step: saved.step, tensors: copies });
    expect(optC.step).toBe(2);
    for (let i = 0; i < 3; i++) resumed.step(optC);
    for (const [n, v] of resumed.params) {
      expect(Array.from(v.dataSync())).toEqual(Array.from(straight.params.get(n)!.dataSync()));
    }
    tf.dispose([...copies.values(), ...paramCopies.values()]);
    for (const o of [optA, optB, optC]) o.dispose();
    for (const p of [straight, first, resumed]) p.dispose();
  });

  it('names its state after the parameters and reports every problem when restoring', () => {
    const { params, dispose } = problem();
    const opt = new AdamW(params);
    expect([...opt.namedState().keys()]).toEqual(['exp_avg.p1', 'exp_avg.p2', 'exp_avg_sq.p1', 'exp_avg_sq.p2']);
    const wrong = tf.zeros([2]);
    expect(() => opt.setState({ step: 1, tensors: { 'exp_avg.p1': wrong, 'exp_avg.extra': wrong } })).toThrow(
      /"exp_avg.p1" has shape \[2\], expected \[3\][\s\S]*missing "exp_avg_sq.p2"[\s\S]*unexpected "exp_avg.extra"/,
    );
    tf.dispose(wrong);
    opt.dispose();
    dispose();
  });

  it('creates no tensors per step beyond its moments', () => {
    const { params, step, dispose } = problem();
    const opt = new AdamW(params, fx.options);
    step(opt);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step(opt);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    dispose();
  });

  it('rejects a gradient for an unknown parameter and invalid hyper-parameters', () => {
    const v = tf.variable(tf.zeros([2]));
    const opt = new AdamW(new Map([['w', v]]));
    const g = tf.ones([2]);
    expect(() => opt.applyGradients({ nope: g })).toThrow(/unknown parameter "nope"/);
    expect(() => new AdamW(new Map([['w', v]]), { betas: [1, 0.9] })).toThrow(/betas\[0\]/);
    tf.dispose([v, g]);
    opt.dispose();
  });
});
