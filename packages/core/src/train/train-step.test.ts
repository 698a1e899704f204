import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';
import { warmupCosineLr } from '../optim/schedule.js';
import { trainStep } from './train-step.js';
import { l1Loss, TinyNet, tinyBatch } from '../../test/fixtures/nn/tiny-net.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch = tinyBatch;
const l1 = l1Loss;

describe('trainStep', () => {
  it('keeps the tensor count constant over 50 steps of a small conv net and lowers the loss', () => {
    const net = new TinyNet(1);
    const x = batch();
    const optimizer = new AdamW(net.namedParameters(), { lr: 1e-2, weightDecay: 0 });
    const first = trainStep({ lossFn: l1(net, x), optimizer, clipNorm: 1 });
    const count = tf.memory().numTensors;
    let last = first;
    for (let step = 1; step < 50; step++) {
      last = trainStep({ lossFn: l1(net, x), optimizer, clipNorm: 1, lr: warmupCosineLr(step, { baseLr: 1e-2, warmupSteps: 5, totalSteps: 50 }) });
      expect(tf.memory().numTensors).toBe(count);
    }
    expect(Number.isFinite(last.gradNorm) && last.gradNorm > 0).toBe(true);
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    optimizer.dispose();
    net.dispose();
    x.dispose();
  });

  it('reports the pre-clip gradient norm and the loss before the update', () => {
    const net = new TinyNet(2);
    const x = batch();
    const expected = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(l1(net, x), net.trainableVariables());
      const { norm } = clipGradNorm(grads, Infinity);
      return [value.dataSync()[0], norm.dataSync()[0]];
    });
    const optimizer = new AdamW(net.namedParameters());
    const result = trainStep({ lossFn: l1(net, x), optimizer, clipNorm: 1e-3 });
    expect(result.loss).toBeCloseTo(expected[0], 6);
    expect(result.gradNorm).toBeCloseTo(expected[1], 5);
    expect(optimizer.step).toBe(1);
    optimizer.dispose();
    net.dispose();
    x.dispose();
  });

  it('leaks no tensor and leaves the model untouched when lossFn throws mid-graph', () => {
    const net = new TinyNet(3);
    const x = batch();
    const optimizer = new AdamW(net.namedParameters());
    const weightsBefore = net.convIn.weight.arraySync();
    const before = tf.memory().numTensors;
    const failing = () => {
      net.forward(x);
      throw new Error('data went missing');
    };
    expect(() => trainStep({ lossFn: failing, optimizer })).toThrow('data went missing');
    expect(tf.memory().numTensors).toBe(before);
    expect(net.convIn.weight.arraySync()).toEqual(weightsBefore);
    expect(optimizer.step).toBe(0);
    // The engine's gradient tape is usable again afterwards.
    trainStep({ lossFn: l1(net, x), optimizer });
    expect(optimizer.step).toBe(1);
    optimizer.dispose();
    net.dispose();
    x.dispose();
  });

  it('leaks no tensor when the loss is not a scalar', () => {
    const net = new TinyNet(4);
    const x = batch();
    const optimizer = new AdamW(net.namedParameters());
    const before = tf.memory().numTensors;
    expect(() => trainStep({ lossFn: () => net.forward(x) as unknown as tf.Scalar, optimizer })).toThrow(/scalar/);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    net.dispose();
    x.dispose();
  });

  it('continues a run exactly after restoring weights and optimizer state', () => {
    const x = batch();
    const run = (net: TinyNet, optimizer: AdamW, from: number, to: number) => {
      const losses: number[] = [];
      for (let s = from; s < to; s++) {
        const lr = warmupCosineLr(s, { baseLr: 5e-3, warmupSteps: 2, totalSteps: 6 });
        losses.push(trainStep({ lossFn: l1(net, x), optimizer, clipNorm: 0.5, lr }).loss);
      }
      return losses;
    };
    const netA = new TinyNet(9);
    const optA = new AdamW(netA.namedParameters());
    const straight = run(netA, optA, 0, 6);

    const netB = new TinyNet(9);
    const optB = new AdamW(netB.namedParameters());
    const firstHalf = run(netB, optB, 0, 3);
    const weights = new Map([...netB.namedParameters()].map(([n, v]) => [n, tf.clone(v)]));
    const state = optB.getState();
    const moments = new Map([...state.tensors].map(([n, t]) => [n, tf.clone(t)]));

    const netC = new TinyNet(123);
    for (const [n, v] of netC.namedParameters()) v.assign(weights.get(n)!);
    const optC = new AdamW(netC.namedParameters());
    optC.setState({ step: state.step, tensors: moments });
    const secondHalf = run(netC, optC, 3, 6);
    expect([...firstHalf, ...secondHalf]).toEqual(straight);
    tf.dispose([...weights.values(), ...moments.values(), x]);
    for (const o of [optA, optB, optC]) o.dispose();
    for (const n of [netA, netB, netC]) n.dispose();
  });
});
