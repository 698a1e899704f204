import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../random/rng.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/conv2d.js';
import { ResnetBlock } from '../nn/resnet-block.js';
import { Downsample, Upsample } from '../nn/resample.js';
import { silu } from '../nn/activations.js';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';
import { warmupCosineLr } from '../optim/schedule.js';
import { trainStep } from './train-step.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A tiny conv autoencoder: conv_in → ResnetBlock → Downsample → Upsample → conv_out. */
class TinyNet extends Module {
  readonly convIn: Conv2d;
  readonly block: ResnetBlock;
  readonly down: Downsample;
  readonly up: Upsample;
  readonly convOut: Conv2d;
  constructor(seed: number) {
    super();
    const rng = new SeededRng(seed);
    this.convIn = this.addModule('conv_in', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng }));
    this.block = this.addModule('block', new ResnetBlock({ inChannels: 4, numGroups: 2, rng }));
    this.down = this.addModule('down', new Downsample({ inChannels: 4, rng }));
    this.up = this.addModule('up', new Upsample({ inChannels: 4, rng }));
    this.convOut = this.addModule('conv_out', new Conv2d({ inChannels: 4, outChannels: 3, kernelSize: 3, rng }));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.convOut.forward(silu(this.up.forward(this.down.forward(this.block.forward(this.convIn.forward(x)))))));
  }
}

const batch = () => tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
const l1 = (net: TinyNet, x: tf.Tensor4D) => () => tf.mean(tf.abs(tf.sub(net.forward(x), x))) as tf.Scalar;

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
