import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../random/rng.js';
import { ConvResnetBackbone } from './backbone.js';
import { Tokenizer, tokenizerLoss } from './tokenizer.js';
import { TINY_BACKBONE, ThreeLevelQuantizer } from '../../test/helpers/tiny-tokenizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shapes = { imageChannels: 1, quantizerInputChannels: 3, codeChannels: 2 };

describe('ConvResnetBackbone', () => {
  it('downsamples by 2^(stages-1) and maps latents back to image shape', () => {
    const b = new ConvResnetBackbone({ ...TINY_BACKBONE, channelMultipliers: [1, 2, 2] }, shapes, new SeededRng(0));
    expect(b.downsampleFactor).toBe(4);
    const x = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D;
    const z = b.encode(x);
    expect(z.shape).toEqual([2, 4, 4, 3]);
    const y = b.decode(tf.zeros([2, 4, 4, 2]) as tf.Tensor4D);
    expect(y.shape).toEqual([2, 16, 16, 1]);
    tf.dispose([x, z, y]);
    b.dispose();
  });

  it('names its parameters like the reference tokenizer', () => {
    const b = new ConvResnetBackbone(TINY_BACKBONE, shapes, new SeededRng(0));
    const names = [...b.namedParameters().keys()];
    expect(names).toContain('encoder.conv_in.weight');
    expect(names).toContain('encoder.down.0.block.0.norm1.weight');
    expect(names).toContain('encoder.down.0.downsample.conv.weight');
    expect(names).toContain('encoder.down.1.block.0.conv_shortcut.weight');
    expect(names).toContain('encoder.mid.block_1.conv2.bias');
    expect(names).toContain('quant_conv.weight');
    expect(names).toContain('post_quant_conv.bias');
    expect(names).toContain('decoder.up.1.block.1.conv1.weight');
    expect(names).toContain('decoder.up.1.upsample.conv.weight');
    expect(names).not.toContain('decoder.up.0.upsample.conv.weight');
    expect(names).toContain('decoder.conv_out.weight');
    expect(b.namedParameters().get('quant_conv.weight')!.shape).toEqual([1, 1, 2, 3]);
    b.dispose();
  });

  it('draws identical weights from the same seed', () => {
    const a = new ConvResnetBackbone(TINY_BACKBONE, shapes, new SeededRng(5));
    const b = new ConvResnetBackbone(TINY_BACKBONE, shapes, new SeededRng(5));
    const wa = a.namedParameters().get('decoder.conv_out.weight')!.dataSync();
    expect([...b.namedParameters().get('decoder.conv_out.weight')!.dataSync()]).toEqual([...wa]);
    a.dispose();
    b.dispose();
  });

  it('rejects widths that GroupNorm cannot split and images the factor does not divide', () => {
    expect(() => new ConvResnetBackbone({ ...TINY_BACKBONE, channels: 6 }, shapes, new SeededRng(0))).toThrow(/divisible by groups \(4\)/);
    const b = new ConvResnetBackbone(TINY_BACKBONE, shapes, new SeededRng(0));
    const x = tf.zeros([1, 9, 9, 1]) as tf.Tensor4D;
    expect(() => b.encode(x)).toThrow(/9×9 is not divisible by the downsample factor 2/);
    x.dispose();
    b.dispose();
  });
});

describe('Tokenizer', () => {
  it('keeps quantizer state under quantize. and frees every intermediate', () => {
    const q = new ThreeLevelQuantizer(2);
    const t = new Tokenizer(new ConvResnetBackbone(TINY_BACKBONE, { ...shapes, quantizerInputChannels: 2 }, new SeededRng(0)), q);
    const x = tf.randomUniform([2, 8, 8, 1], -1, 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = t.forward(x);
    expect(out.reconstruction.shape).toEqual([2, 8, 8, 1]);
    expect(out.quantized.indices!.shape).toEqual([2, 4, 4]);
    tf.dispose([out.reconstruction, out.quantized.codes, out.quantized.indices, out.quantized.auxLoss]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    t.backbone.dispose();
  });

  it('computes the weighted loss from its closed form', () => {
    const x = tf.tensor4d([0, 0.5, -1, 1], [1, 2, 2, 1]);
    const y = tf.tensor4d([0.5, 0.5, 0, 1], [1, 2, 2, 1]);
    const aux = tf.scalar(0.25);
    const parts = tokenizerLoss(x, y, aux, { l1: 2, l2: 3, perceptual: 0 });
    // |diffs| = 0.5, 0, 1, 0 → l1 = 0.375; squares 0.25, 0, 1, 0 → l2 = 0.3125
    expect(parts.l1.dataSync()[0]).toBeCloseTo(0.375, 6);
    expect(parts.l2.dataSync()[0]).toBeCloseTo(0.3125, 6);
    expect(parts.total.dataSync()[0]).toBeCloseTo(2 * 0.375 + 3 * 0.3125 + 0.25, 6);
    expect(() => tokenizerLoss(x, y, aux, { l1: 1, l2: 0, perceptual: 1 })).toThrow(/tokenizer\.perceptual/);
    tf.dispose([x, y, aux, parts.l1, parts.l2, parts.total, parts.perceptual]);
  });
});
