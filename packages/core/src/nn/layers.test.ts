import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../random/rng.js';
import { expectCloseToFixture, fromFixture, loadNnFixtures, type FixtureTensor } from '../../test/fixtures/nn/fixtures.js';
import { Conv2d } from './conv2d.js';
import { Linear } from './linear.js';
import { GroupNorm, LayerNorm, RMSNorm } from './norm.js';
import { Downsample, Upsample, upsampleNearest2x } from './resample.js';
import { ResnetBlock } from './resnet-block.js';
import { gelu, silu } from './activations.js';
import { Embedding } from './embedding.js';
import { Module } from './module.js';
import { ModuleList } from './module-list.js';

const fx = loadNnFixtures();
const rng = () => new SeededRng('layers-test');

/** Set a layer tensor from a PyTorch-layout fixture, converted with the layer kind's helper. */
function setTorch(v: tf.Variable | undefined, kind: { fromTorchLayout(n: string, t: tf.Tensor): tf.Tensor }, name: string, f: FixtureTensor) {
  if (!v) throw new Error(`layer has no ${name}`);
  tf.tidy(() => v.assign(kind.fromTorchLayout(name, fromFixture(f))));
}

function loadConv(conv: Conv2d, f: { weight: FixtureTensor; bias?: FixtureTensor }) {
  setTorch(conv.weight, Conv2d, 'weight', f.weight);
  if (f.bias) setTorch(conv.bias, Conv2d, 'bias', f.bias);
}

/** Run `fn` on the fixture input and compare with the fixture output; also checks no tensor leaks. */
function check(f: { x: FixtureTensor; y: FixtureTensor }, fn: (x: tf.Tensor) => tf.Tensor, atol = 1e-5) {
  const x = fromFixture(f.x);
  const before = tf.memory().numTensors;
  const y = fn(x);
  expect(tf.memory().numTensors).toBe(before + 1);
  expectCloseToFixture(y, f.y, atol);
  tf.dispose([x, y]);
}

// Forward passes must match PyTorch on the training backend (cpu) and on the inference backend (stock wasm).
describe.each(['cpu', 'wasm'])('on the %s backend', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  describe('Conv2d', () => {
    it('matches torch nn.Conv2d 3×3 with padding 1, and "same" gives the same result', () => {
      for (const padding of [1, 'same'] as const) {
        const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding, rng: rng() });
        loadConv(conv, fx.conv_same);
        check(fx.conv_same, (x) => conv.forward(x as tf.Tensor4D));
        conv.dispose();
      }
    });

    it('matches torch with stride 2 and symmetric padding 1', () => {
      const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, rng: rng() });
      loadConv(conv, fx.conv_stride2_pad1);
      check(fx.conv_stride2_pad1, (x) => conv.forward(x as tf.Tensor4D));
      conv.dispose();
    });

    it('has no bias parameter when bias is off and still matches torch', () => {
      const conv = new Conv2d({ inChannels: 3, outChannels: 2, kernelSize: 3, padding: 1, bias: false, rng: rng() });
      expect([...conv.namedParameters().keys()]).toEqual(['weight']);
      loadConv(conv, fx.conv_nobias);
      check(fx.conv_nobias, (x) => conv.forward(x as tf.Tensor4D));
      conv.dispose();
    });

    it('converts weights to torch layout and back exactly', () => {
      const conv = new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: [3, 1], rng: rng() });
      const torchW = Conv2d.toTorchLayout('weight', conv.weight);
      expect(torchW.shape).toEqual([5, 3, 3, 1]);
      const back = Conv2d.fromTorchLayout('weight', torchW);
      expect(back.arraySync()).toEqual(conv.weight.arraySync());
      tf.dispose([torchW, back]);
      conv.dispose();
    });

    it('rejects an NCHW-looking input with a message naming the expected layout', () => {
      const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng: rng() });
      const x = tf.zeros([1, 3, 8, 8]) as tf.Tensor4D;
      expect(() => conv.forward(x)).toThrow(/NHWC/);
      tf.dispose(x);
      conv.dispose();
    });
  });

  describe('Downsample and Upsample', () => {
    it.each(['downsample_6', 'downsample_5'])('matches torch pad (0,1,0,1) + stride-2 conv (%s)', (key) => {
      const down = new Downsample({ inChannels: 3, outChannels: 4, rng: rng() });
      loadConv(down.conv, fx[key]);
      check(fx[key], (x) => down.forward(x as tf.Tensor4D));
      down.dispose();
    });

    it('matches torch nearest ×2 interpolation followed by a 3×3 conv', () => {
      const up = new Upsample({ inChannels: 3, outChannels: 2, rng: rng() });
      loadConv(up.conv, fx.upsample);
      check(fx.upsample, (x) => up.forward(x as tf.Tensor4D));
      up.dispose();
    });

    it('repeats every pixel into a 2×2 block', () => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = upsampleNearest2x(x);
      expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
      tf.dispose([x, y]);
    });
  });

  describe('normalisation layers', () => {
    it('GroupNorm matches torch nn.GroupNorm(3, 6, eps=1e-6) with affine', () => {
      const gn = new GroupNorm({ numGroups: 3, numChannels: 6 });
      expect(gn.eps).toBe(1e-6);
      gn.weight!.assign(fromFixture(fx.groupnorm.weight));
      gn.bias!.assign(fromFixture(fx.groupnorm.bias));
      check(fx.groupnorm, (x) => gn.forward(x as tf.Tensor4D), 2e-5);
      gn.dispose();
    });

    it('GroupNorm rejects a channel count not divisible by the groups', () => {
      expect(() => new GroupNorm({ numGroups: 4, numChannels: 6 })).toThrow(/divisible/);
    });

    it('LayerNorm matches torch with and without affine', () => {
      const ln = new LayerNorm({ dim: 6 });
      ln.weight!.assign(fromFixture(fx.layernorm.weight));
      ln.bias!.assign(fromFixture(fx.layernorm.bias));
      check(fx.layernorm, (x) => ln.forward(x), 2e-5);
      const plain = new LayerNorm({ dim: 6, affine: false });
      expect(plain.namedParameters().size).toBe(0);
      check({ x: fx.layernorm.x, y: fx.layernorm.y_plain }, (x) => plain.forward(x), 2e-5);
      ln.dispose();
    });

    it('RMSNorm matches x·rsqrt(mean(x²)+1e-6)·w computed in torch', () => {
      const norm = new RMSNorm({ dim: 6 });
      norm.weight!.assign(fromFixture(fx.rmsnorm.weight));
      check(fx.rmsnorm, (x) => norm.forward(x), 2e-5);
      norm.dispose();
    });
  });

  describe('Linear, Embedding and activations', () => {
    it('Linear matches torch nn.Linear after converting its [out,in] weight', () => {
      const lin = new Linear({ inFeatures: 5, outFeatures: 3, rng: rng() });
      expect(lin.weight.shape).toEqual([5, 3]);
      setTorch(lin.weight, Linear, 'weight', fx.linear.weight);
      setTorch(lin.bias, Linear, 'bias', fx.linear.bias);
      check(fx.linear, (x) => lin.forward(x));
      const torchW = Linear.toTorchLayout('weight', lin.weight);
      expectCloseToFixture(torchW, fx.linear.weight, 0);
      tf.dispose(torchW);
      lin.dispose();
    });

    it('Embedding gathers rows, and the one-hot lookup gives the same vectors', () => {
      const a = new Embedding({ numEmbeddings: 7, dim: 3, rng: new SeededRng(1) });
      const b = new Embedding({ numEmbeddings: 7, dim: 3, rng: new SeededRng(1), lookup: 'oneHot' });
      const ids = tf.tensor2d([[0, 6], [3, 3]], [2, 2], 'int32');
      const ya = a.forward(ids);
      const yb = b.forward(ids);
      expect(ya.shape).toEqual([2, 2, 3]);
      const table = a.weight.arraySync() as number[][];
      expect((ya.arraySync() as number[][][])[0][1]).toEqual(table[6]);
      expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
      tf.dispose([ids, ya, yb]);
      a.dispose();
      b.dispose();
    });

    it('SiLU and both GELU variants match torch', () => {
      const f = fx.activations;
      check({ x: f.x, y: f.silu }, (x) => silu(x), 1e-6);
      check({ x: f.x, y: f.gelu_erf }, (x) => gelu(x), 1e-6);
      check({ x: f.x, y: f.gelu_tanh }, (x) => gelu(x, 'tanh'), 1e-6);
    });
  });

  describe('ResnetBlock', () => {
    it.each([
      ['resnet_block_4_to_8', 4, 8],
      ['resnet_block_4_to_4', 4, 4],
    ])('matches the torch composition with given weights (%s)', (key, cin, cout) => {
      const block = new ResnetBlock({ inChannels: cin, outChannels: cout, numGroups: 2, rng: rng() });
      const params = block.namedParameters();
      const given = fx[key].params as Record<string, FixtureTensor>;
      expect([...params.keys()].sort()).toEqual(Object.keys(given).sort());
      for (const [name, v] of params) {
        const kind = name.endsWith('weight') && v.rank === 4 ? Conv2d : { fromTorchLayout: (_n: string, t: tf.Tensor) => t };
        setTorch(v, kind, name.endsWith('weight') ? 'weight' : 'bias', given[name]);
      }
      check(fx[key], (x) => block.forward(x as tf.Tensor4D), 5e-5);
      block.dispose();
    });

    it('applies seeded dropout only in training mode', () => {
      const block = new ResnetBlock({ inChannels: 4, numGroups: 2, dropout: 0.5, rng: new SeededRng(3) });
      const x = tf.randomNormal([1, 4, 4, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      const a = block.forward(x);
      const b = block.forward(x);
      expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
      block.train(false);
      const c = block.forward(x);
      const d = block.forward(x);
      expect(Array.from(c.dataSync())).toEqual(Array.from(d.dataSync()));
      tf.dispose([x, a, b, c, d]);
      block.dispose();
    });
  });

  describe('parameter names', () => {
    class Tiny extends Module {
      constructor() {
        super();
        const r = new SeededRng(0);
        this.addModule('conv_in', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng: r }));
        const list = this.addModule('blocks', new ModuleList<Module>());
        list.push(new ResnetBlock({ inChannels: 4, outChannels: 8, numGroups: 2, rng: r }));
        list.push(new Downsample({ inChannels: 8, rng: r }));
        this.addModule('norm_out', new GroupNorm({ numGroups: 2, numChannels: 8 }));
      }
    }

    it('gives a nested module PyTorch-style dotted names in registration order', () => {
      const m = new Tiny();
      expect([...m.namedParameters().keys()]).toEqual([
        'conv_in.weight',
        'conv_in.bias',
        'blocks.0.norm1.weight',
        'blocks.0.norm1.bias',
        'blocks.0.conv1.weight',
        'blocks.0.conv1.bias',
        'blocks.0.norm2.weight',
        'blocks.0.norm2.bias',
        'blocks.0.conv2.weight',
        'blocks.0.conv2.bias',
        'blocks.0.conv_shortcut.weight',
        'blocks.0.conv_shortcut.bias',
        'blocks.1.conv.weight',
        'blocks.1.conv.bias',
        'norm_out.weight',
        'norm_out.bias',
      ]);
      m.dispose();
    });
  });
});
