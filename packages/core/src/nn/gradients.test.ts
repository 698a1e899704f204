import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../random/rng.js';
import { Conv2d } from './conv2d.js';
import { Linear } from './linear.js';
import { GroupNorm, LayerNorm, RMSNorm } from './norm.js';
import { Downsample, Upsample } from './resample.js';
import { ResnetBlock } from './resnet-block.js';
import { Embedding } from './embedding.js';
import { gelu, silu } from './activations.js';
import type { Module } from './module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const r = () => new SeededRng('grads');
const image = (c: number, size = 4) => tf.randomNormal([2, size, size, c], 0, 1, 'float32', 7) as tf.Tensor4D;
const tokens = (d: number) => tf.randomNormal([2, 3, d], 0, 1, 'float32', 9);

/** Layers with a forward pass and the input they take; the loss weights outputs so normalised sums are not constant. */
const cases: Array<[string, () => { module: Module; input: () => tf.Tensor; forward: (x: tf.Tensor) => tf.Tensor }]> = [
  ['Linear', () => { const m = new Linear({ inFeatures: 5, outFeatures: 3, rng: r() }); return { module: m, input: () => tokens(5), forward: (x) => m.forward(x) }; }],
  ['Conv2d', () => { const m = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng: r() }); return { module: m, input: () => image(3), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
  ['Conv2d stride 2 no bias', () => { const m = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, bias: false, rng: r() }); return { module: m, input: () => image(3), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
  ['GroupNorm', () => { const m = new GroupNorm({ numGroups: 2, numChannels: 4 }); return { module: m, input: () => image(4), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
  ['LayerNorm', () => { const m = new LayerNorm({ dim: 6 }); return { module: m, input: () => tokens(6), forward: (x) => m.forward(x) }; }],
  ['RMSNorm', () => { const m = new RMSNorm({ dim: 6 }); return { module: m, input: () => tokens(6), forward: (x) => m.forward(x) }; }],
  ['Embedding gather', () => { const m = new Embedding({ numEmbeddings: 5, dim: 3, rng: r() }); return { module: m, input: () => tf.tensor1d([0, 1, 2, 3, 4, 1], 'int32'), forward: (x) => m.forward(x) }; }],
  ['Embedding oneHot', () => { const m = new Embedding({ numEmbeddings: 5, dim: 3, rng: r(), lookup: 'oneHot' }); return { module: m, input: () => tf.tensor1d([0, 1, 2, 3, 4, 1], 'int32'), forward: (x) => m.forward(x) }; }],
  ['ResnetBlock with shortcut', () => { const m = new ResnetBlock({ inChannels: 4, outChannels: 8, numGroups: 2, rng: r() }); return { module: m, input: () => image(4), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
  ['Downsample', () => { const m = new Downsample({ inChannels: 3, rng: r() }); return { module: m, input: () => image(3), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
  ['Upsample', () => { const m = new Upsample({ inChannels: 3, rng: r() }); return { module: m, input: () => image(3, 3), forward: (x) => m.forward(x as tf.Tensor4D) }; }],
];

function weightedLoss(y: tf.Tensor): tf.Scalar {
  const w = tf.linspace(-1, 2, y.size).reshape(y.shape);
  return tf.sum(tf.mul(tf.square(y), w));
}

describe('gradients', () => {
  it.each(cases)('reach every parameter of %s, finite and non-zero, without leaking', (_name, make) => {
    const { module, input, forward } = make();
    const x = input();
    const vars = module.trainableVariables();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => weightedLoss(forward(x)), vars);
    for (const v of vars) {
      const g = grads[v.name];
      expect(g, `gradient of ${v.name}`).toBeDefined();
      const values = Array.from(g.dataSync());
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((n) => n !== 0)).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    module.dispose();
  });

  it('flow through the input of SiLU and both GELU variants', () => {
    const x = tf.linspace(-3, 3, 13);
    for (const f of [(t: tf.Tensor) => silu(t), (t: tf.Tensor) => gelu(t), (t: tf.Tensor) => gelu(t, 'tanh')]) {
      const g = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x);
      const values = Array.from(g.dataSync());
      expect(values.every(Number.isFinite)).toBe(true);
      // d/dx at x = 0 is 0.5 for SiLU and both GELUs.
      expect(values[6]).toBeCloseTo(0.5, 5);
      g.dispose();
    }
    x.dispose();
  });

  it('match a finite difference for a GroupNorm + conv chain', () => {
    const norm = new GroupNorm({ numGroups: 2, numChannels: 4 });
    const conv = new Conv2d({ inChannels: 4, outChannels: 2, kernelSize: 3, rng: r() });
    const x = image(4, 3);
    const f = (t: tf.Tensor) => weightedLoss(conv.forward(silu(norm.forward(t as tf.Tensor4D))));
    const g = tf.grad(f)(x);
    const h = 1e-2;
    const idx = 5;
    const at = (delta: number) =>
      tf.tidy(() => {
        const buf = x.bufferSync();
        const data = Float32Array.from(buf.values);
        data[idx] += delta;
        return f(tf.tensor(data, x.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(g.dataSync()[idx]).toBeCloseTo(numeric, 2);
    tf.dispose([x, g]);
    norm.dispose();
    conv.dispose();
  });
});
