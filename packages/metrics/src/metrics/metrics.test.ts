import type { LatentSpec } from '@ifsq/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeatureExtractor } from '../features/extractor.js';
import { fidFromFeatures } from '../fid/frechet.js';
import { gaussianStats } from '../fid/gaussian-stats.js';
import { toReferenceStats } from '../fid/reference-stats.js';
import { CknnaMetric } from './cknna-metric.js';
import { FidMetric } from './fid-metric.js';
import { PsnrMetric, SsimMetric } from './image-metrics.js';
import { TokenizerStatsMetric } from './tokenizer-stats-metric.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Flattens images to features: makes FID checkable against fidFromFeatures on the same numbers. */
const flatten: FeatureExtractor = {
  name: 'flatten',
  weightsSha256: '0'.repeat(64),
  featureDim: 4,
  resize: 'none',
  extract: (images) => tf.reshape(images, [images.shape[0], -1]) as tf.Tensor2D,
  dispose: () => undefined,
};

function batch(seed: number, n = 6): tf.Tensor4D {
  return tf.tidy(() => tf.tanh(tf.randomNormal([n, 2, 2, 1], 0, 1, 'float32', seed))) as tf.Tensor4D;
}

describe('PsnrMetric', () => {
  it('maps [-1,1] to [0,1]: a constant 0.2 error on [-1,1] is 20 dB', async () => {
    const m = new PsnrMetric();
    const real = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    const fake = tf.fill([2, 4, 4, 3], 0.2) as tf.Tensor4D;
    m.update({ real, fake });
    expect((await m.compute()).values.psnr).toBeCloseTo(20, 4);
    tf.dispose([real, fake]);
  });

  it('leaves identical images out of the mean by default and counts them; caps them when asked', async () => {
    const real = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    const fake = tf.concat([tf.zeros([1, 4, 4, 3]), tf.fill([1, 4, 4, 3], 0.2)]) as tf.Tensor4D;
    const plain = new PsnrMetric();
    plain.update({ real, fake });
    const r = await plain.compute();
    expect(r.values.psnr).toBeCloseTo(20, 4);
    expect(r.values.psnr_identical).toBe(1);
    expect(r.values.psnr_images).toBe(2);
    const capped = new PsnrMetric({ cap: 100 });
    capped.update({ real, fake });
    expect((await capped.compute()).values.psnr).toBeCloseTo(60, 4);
    tf.dispose([real, fake]);
  });

  it('merges shard states to the same result', async () => {
    const [a, b, c, d] = [batch(1), batch(2), batch(3), batch(4)];
    const whole = new PsnrMetric();
    whole.update({ real: a, fake: b });
    whole.update({ real: c, fake: d });
    const s1 = new PsnrMetric();
    s1.update({ real: a, fake: b });
    const s2 = new PsnrMetric();
    s2.update({ real: c, fake: d });
    s1.merge(JSON.parse(JSON.stringify(s2.state())));
    expect((await s1.compute()).values.psnr).toBeCloseTo((await whole.compute()).values.psnr, 10);
    tf.dispose([a, b, c, d]);
  });
});

describe('SsimMetric', () => {
  it('gives 1 for identical batches and records the variant', async () => {
    const x = tf.tidy(() => tf.tanh(tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5))) as tf.Tensor4D;
    const m = new SsimMetric({ variant: 'gaussian' });
    m.update({ real: x, fake: x });
    const r = await m.compute();
    expect(r.values.ssim_gaussian).toBeCloseTo(1, 10);
    expect(r.values.ssim).toBeUndefined(); // so a pipeline can list both variants
    expect(r.provenance.variant).toBe('gaussian');
    const skimage = new SsimMetric();
    skimage.update({ real: x, fake: x });
    expect((await skimage.compute()).values.ssim).toBeCloseTo(1, 10);
    x.dispose();
  });
});

describe('FidMetric', () => {
  it('streams rFID over batches to the FID of the concatenated features, with provenance, no leaks', async () => {
    const before = tf.memory().numTensors;
    const m = new FidMetric(flatten);
    const reals: number[][] = [];
    const fakes: number[][] = [];
    for (let i = 0; i < 10; i++) {
      const real = batch(10 + i);
      const fake = tf.tidy(() => tf.add(batch(30 + i), 0.3)) as tf.Tensor4D;
      m.update({ real, fake });
      reals.push(...tf.tidy(() => real.reshape([6, 4]).arraySync() as number[][]));
      fakes.push(...tf.tidy(() => fake.reshape([6, 4]).arraySync() as number[][]));
      tf.dispose([real, fake]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const r = await m.compute();
    expect(r.values.fid).toBeCloseTo(fidFromFeatures(reals, fakes), 4);
    expect(r.values.fid_images).toBe(60);
    expect(r.provenance).toMatchObject({ extractor: 'flatten', extractorWeightsSha256: '0'.repeat(64), images: 60, resize: 'none' });
    expect(r.provenance.referenceStatsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('computes gFID against saved reference statistics and records their hash', async () => {
    const refFeatures = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(i), i % 3, (i * 7) % 5]);
    const reference = toReferenceStats(gaussianStats(refFeatures), { extractor: 'flatten' });
    const m = new FidMetric(flatten, { reference, valueName: 'gfid' });
    const fake = batch(99, 12);
    m.update({ fake });
    const r = await m.compute();
    expect(r.values.gfid).toBeCloseTo(fidFromFeatures(refFeatures, fake.reshape([12, 4]).arraySync() as number[][]), 4);
    expect(r.provenance.referenceStatsSha256).toBe(reference.sha256);
    fake.dispose();
  });

  it('saves the real statistics with provenance for later gFID runs', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadReferenceStats } = await import('../fid/reference-stats.js');
    const path = join(mkdtempSync(join(tmpdir(), 'fid-ref-')), 'real.json');
    const m = new FidMetric(flatten, { saveReference: path });
    const [real, fake] = [batch(7), batch(8)];
    m.update({ real, fake });
    const r = await m.compute();
    const saved = await loadReferenceStats(path);
    expect(saved.sha256).toBe(r.provenance.referenceStatsSha256);
    expect(saved.provenance).toMatchObject({ extractor: 'flatten', images: 6 });
    tf.dispose([real, fake]);
  });

  it('refuses reference statistics made with another extractor', () => {
    const reference = toReferenceStats(gaussianStats([[0, 0, 0, 0], [1, 1, 1, 1]]), { extractor: 'inception-v3-fid' });
    expect(() => new FidMetric(flatten, { reference })).toThrow(/made with extractor "inception-v3-fid"/);
  });
});

describe('TokenizerStatsMetric', () => {
  const spec: LatentSpec = {
    channels: 2,
    kind: 'discrete',
    valueRange: [-1, 1],
    levels: [3, 2],
    vocabSizes: [6],
    indexOrder: 'little',
    bitsPerValue: (Math.log2(3) + 1) / 2,
    valuesPerPosition: 2,
    scale: { kind: 'constant', factor: 1 },
  };

  it('reports utilization, entropy, per-dimension histograms, bits and compression ratio', async () => {
    const m = new TokenizerStatsMetric();
    // indices over K = 6 (little-endian: digit0 = idx % 3, digit1 = floor(idx/3))
    const indices = tf.tensor3d([0, 1, 2, 0], [1, 2, 2], 'int32');
    const real = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    m.update({ indices, spec, real });
    const r = await m.compute();
    expect(r.values.utilization).toBeCloseTo(3 / 6, 12);
    expect(r.values.entropy_bits).toBeCloseTo(1.5, 12); // p = 1/2, 1/4, 1/4
    expect(r.values.perplexity).toBeCloseTo(2 ** 1.5, 12);
    expect(r.values.dim0_bin0).toBeUndefined();
    expect((r.provenance.binHistograms as number[][])[0][0]).toBeCloseTo(0.5, 12);
    expect((r.provenance.perDimension as Array<Record<string, number>>)[1].utilization).toBe(0.5);
    expect(r.values.ks).toBeNaN(); // no pre-rounding values were given
    expect(r.values.bits_per_value).toBeCloseTo(spec.bitsPerValue, 12);
    expect(r.values.compression_ratio).toBeCloseTo((8 * 8 * 3 * 8) / (2 * 2 * 2 * spec.bitsPerValue), 10);
    const withBins = new TokenizerStatsMetric({ binValues: true });
    withBins.update({ indices, spec, real });
    const rb = await withBins.compute();
    expect(rb.values.dim0_bin0).toBeCloseTo(0.5, 12);
    expect(rb.values.dim1_bin0).toBe(1);
    expect(rb.values.dim1_utilization).toBe(0.5);
    tf.dispose([indices, real]);
  });

  it('reports the same value names for a continuous latent, NaN where they do not apply', async () => {
    const continuous = { ...spec, kind: 'continuous' as const, valueRange: null, vocabSizes: undefined, levels: undefined, bitsPerValue: 16 };
    const m = new TokenizerStatsMetric();
    const codes = tf.zeros([2, 2, 2, 2]);
    const real = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    m.update({ codes, spec: continuous, real });
    const r = await m.compute();
    const discrete = new TokenizerStatsMetric();
    const indices = tf.tensor3d([0, 1, 2, 0], [1, 2, 2], 'int32');
    discrete.update({ indices, spec, real });
    expect(Object.keys(r.values).sort()).toEqual(Object.keys((await discrete.compute()).values).sort());
    expect(r.values.utilization).toBeNaN();
    expect(r.values.compression_ratio).toBeCloseTo((8 * 8 * 3 * 8) / (2 * 2 * 2 * 16), 10);
    tf.dispose([codes, real, indices]);
  });

  it('measures KS of 2σ(1.6z)−1 near 0.01727 and of tanh near 0.04423 from pre-rounding values', async () => {
    for (const [act, expected] of [
      [(z: tf.Tensor) => tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 1.6)), 2), 1), 0.01727],
      [(z: tf.Tensor) => tf.tanh(z), 0.04423],
    ] as const) {
      const m = new TokenizerStatsMetric({ maxKsSamples: 500_000 });
      for (let i = 0; i < 5; i++) {
        const pre = tf.tidy(() => act(tf.randomNormal([25, 10, 10, 40], 0, 1, 'float32', 100 + i)));
        m.update({ preQuant: pre, spec });
        pre.dispose();
      }
      const r = await m.compute();
      expect(Math.abs(r.values.ks - expected)).toBeLessThan(0.002);
      expect(r.values.ks_rmse).toBeGreaterThan(0);
    }
  });

  it('skips KS for unbounded continuous latents and still reports bits and compression ratio', async () => {
    const ae: LatentSpec = { channels: 4, kind: 'continuous', valueRange: null, bitsPerValue: 16, valuesPerPosition: 4, scale: { kind: 'constant', factor: 1 } };
    const m = new TokenizerStatsMetric();
    const pre = tf.randomNormal([1, 32, 32, 4], 0, 1, 'float32', 1);
    const real = tf.zeros([1, 256, 256, 3]) as tf.Tensor4D;
    m.update({ preQuant: pre, spec: ae, real });
    const r = await m.compute();
    expect(r.values.ks).toBeNaN();
    expect(r.values.compression_ratio).toBeCloseTo(24, 12); // spec §11.12: AE f8 d4 @16 bit
    tf.dispose([pre, real]);
  });

  it('merges states like one stream', async () => {
    const a = new TokenizerStatsMetric();
    const b = new TokenizerStatsMetric();
    const i1 = tf.tensor3d([0, 1, 2, 5], [1, 2, 2], 'int32');
    const i2 = tf.tensor3d([5, 5, 4, 3], [1, 2, 2], 'int32');
    a.update({ indices: i1, spec });
    b.update({ indices: i2, spec });
    a.merge(JSON.parse(JSON.stringify(b.state())));
    const whole = new TokenizerStatsMetric();
    whole.update({ indices: i1, spec });
    whole.update({ indices: i2, spec });
    expect((await a.compute()).values).toEqual((await whole.compute()).values);
    tf.dispose([i1, i2]);
  });
});

describe('CknnaMetric', () => {
  it('averages per-batch CKNNA of two representations', async () => {
    const A = tf.tensor2d([[1.0, 0.2], [0.9, 0.4], [0.1, 1.0], [0.3, 0.8], [-0.7, 0.5], [-1.0, -0.1], [-0.4, -0.9], [0.6, -0.8]]);
    const B = tf.tensor2d([[0.8, 0.1, 0.3], [0.7, 0.5, 0.2], [0.0, 0.9, 0.4], [0.2, 0.7, 0.1], [-0.6, 0.6, 0.0], [-0.9, 0.0, -0.2], [-0.3, -0.8, 0.5], [0.5, -0.7, 0.6]]);
    const m = new CknnaMetric({ topk: 3 });
    m.update({ representationA: A, representationB: B });
    m.update({ representationA: A, representationB: B });
    const r = await m.compute();
    expect(r.values.cknna).toBeCloseTo(0.935954, 6);
    expect(r.values.cknna_batches).toBe(2);
    tf.dispose([A, B]);
  });
});
