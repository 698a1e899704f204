import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveFsqConfig } from './config.js';
import { createFsq } from './create-fsq.js';
import { FsqOptionsSchema } from './options-schema.js';
import { ifsq } from './plugin.js';
import { FsqQuantizer } from './quantizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('options', () => {
  it('rejects even levels for the iFSQ bound, saying why and suggesting 2^b+1', () => {
    expect(() => createFsq({ levels: [8, 5, 5, 5] })).toThrow(/entry 0 is 8.*needs odd levels.*L\+1 distinct values.*2\^b\+1 \(e\.g\. 9\)/s);
    expect(() => createFsq({ levels: [16] })).toThrow(/e\.g\. 17/);
  });

  it('accepts even levels for the tanh bound', () => {
    const fsq = createFsq({ levels: [8, 6], bound: 'tanh' });
    expect(fsq.spec.vocabSizes).toEqual([48]);
    fsq.dispose();
  });

  it('expands bits b into 2^b+1 levels on every channel', () => {
    expect(resolveFsqConfig({ bits: 4, channels: 3 }).levels).toEqual([17, 17, 17]);
    expect(resolveFsqConfig({ bits: 2 }).levels).toEqual([5, 5, 5, 5]);
  });

  it('names the field of a bad option', () => {
    expect(() => resolveFsqConfig({ levels: [9, 9], groups: [1, 2] })).toThrow(/"groups": sizes sum to 3 but there are 2/);
    expect(() => resolveFsqConfig({ levels: [9], bits: 3 })).toThrow(/"levels": give either/);
    expect(() => resolveFsqConfig({})).toThrow(/"levels"/);
    expect(() => resolveFsqConfig({ levels: [9], alpha: -1 })).toThrow(/"alpha"/);
  });

  it('declares a discrete latent spec with mean log2 L bits per value and a constant scale', () => {
    const q = new FsqQuantizer({ levels: [8, 5, 5, 5], bound: 'tanh', latentMultiplier: 1.092421 });
    expect(q.spec).toMatchObject({
      channels: 4,
      kind: 'discrete',
      valueRange: [-1, 1],
      levels: [8, 5, 5, 5],
      vocabSizes: [1000],
      indexOrder: 'little',
      valuesPerPosition: 4,
      scale: { kind: 'constant', factor: 1.092421 },
    });
    expect(q.spec.bitsPerValue).toBeCloseTo(Math.log2(1000) / 4, 12);
    expect(q.inputChannels).toBe(4);
    expect(new FsqQuantizer({ bits: 4 }).spec.scale).toEqual({ kind: 'constant', factor: 1 });
    q.dispose();
  });
});

describe('index codec', () => {
  it.each([
    { levels: [3, 4, 5], bound: 'tanh' as const, indexOrder: 'little' as const },
    { levels: [3, 4, 5], bound: 'tanh' as const, indexOrder: 'big' as const },
    { levels: [5, 3, 7], indexOrder: 'little' as const, groups: [1, 2] },
    { levels: [5, 3, 7], indexOrder: 'big' as const, groups: [2, 1] },
  ])('round-trips every codeword exactly ($levels, $indexOrder, groups $groups)', (options) => {
    const fsq = createFsq(options);
    const V = fsq.spec.vocabSizes as number[];
    const K = V.reduce((a, b) => a * b, 1);
    // Enumerate all K codewords as (factorized) index tuples.
    const tuples: number[] = [];
    for (let k = 0; k < K; k++) {
      let r = k;
      for (const v of V) {
        tuples.push(r % v);
        r = Math.floor(r / v);
      }
    }
    const shape = options.groups ? [1, 1, K, V.length] : [1, 1, K];
    const idx = tf.tensor(tuples, shape, 'int32');
    const codes = fsq.indicesToCodes(idx);
    const distinct = new Set<string>();
    const c = codes.dataSync();
    for (let k = 0; k < K; k++) distinct.add(Array.from(c.slice(k * 3, k * 3 + 3)).join(','));
    expect(distinct.size).toBe(K);
    const back = fsq.codesToIndices(codes);
    expect(Array.from(back.dataSync())).toEqual(tuples);
    // Codes are grid points: quantizing their pre-image returns them unchanged is covered by the vectors; here check range.
    expect(Math.max(...c)).toBeLessThanOrEqual(1);
    expect(Math.min(...c)).toBe(-1);
    tf.dispose([idx, codes, back]);
    fsq.dispose();
  });

  it('numbers codewords differently in little- and big-endian order', () => {
    const little = createFsq({ levels: [3, 5] });
    const big = createFsq({ levels: [3, 5], indexOrder: 'big' });
    const idx = tf.tensor3d([1], [1, 1, 1], 'int32');
    const a = little.indicesToCodes(idx);
    const b = big.indicesToCodes(idx);
    expect(Array.from(a.dataSync())).toEqual([0, -1]);
    expect(Array.from(b.dataSync())).toEqual([-1, -0.5]);
    tf.dispose([idx, a, b]);
    little.dispose();
    big.dispose();
  });

  it('rejects out-of-range indices and mis-shaped tensors', () => {
    const fsq = createFsq({ levels: [3, 3] });
    const bad = tf.tensor3d([9], [1, 1, 1], 'int32');
    expect(() => fsq.indicesToCodes(bad)).toThrow(/value 9 at position 0 is outside \[0, 9\)/);
    const z = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    expect(() => fsq.quantize(z)).toThrow(/expected a \[B,h,w,2\] tensor, got \[1,2,2,3\]/);
    tf.dispose([bad, z]);
    fsq.dispose();
  });
});

describe('FsqQuantizer', () => {
  it('gives the same codes and indices in training and inference mode', () => {
    const q = new FsqQuantizer({ levels: [9, 9, 9, 9] });
    const z = tf.randomNormal([2, 8, 8, 4], 0, 1.5, 'float32', 3) as tf.Tensor4D;
    const a = q.quantize(z, { training: true });
    const b = q.quantize(z);
    // −0 (op path, rounding a small negative) and +0 (table) are the same code.
    const plusZero = (t: tf.Tensor): number[] => Array.from(t.dataSync()).map((v) => v + 0);
    expect(plusZero(a.codes)).toEqual(plusZero(b.codes));
    expect(Array.from((a.indices as tf.Tensor).dataSync())).toEqual(Array.from((b.indices as tf.Tensor).dataSync()));
    tf.dispose([z, a.codes, a.indices as tf.Tensor, a.auxLoss, b.codes, b.indices as tf.Tensor, b.auxLoss]);
    q.dispose();
  });

  it('moves running_mean/running_var with momentum 0.1 in training mode only', () => {
    const q = new FsqQuantizer({ levels: [5, 5] });
    expect([...q.namedParameters().keys()]).toEqual([]);
    expect([...q.namedBuffers().keys()]).toEqual(['running_mean', 'running_var']);
    const z = tf.tensor4d([1, 4, 3, 4], [1, 1, 2, 2]);
    const run = (training: boolean): void => {
      const r = q.quantize(z, { training });
      tf.dispose([r.codes, r.indices as tf.Tensor, r.auxLoss]);
    };
    run(false);
    expect(Array.from(q.namedBuffers().get('running_mean')!.dataSync())).toEqual([0, 0]);
    run(true);
    const m = q.namedBuffers().get('running_mean')!.dataSync();
    const v = q.namedBuffers().get('running_var')!.dataSync();
    expect(m[0]).toBeCloseTo(0.2, 6);
    expect(m[1]).toBeCloseTo(0.4, 6);
    expect(v[0]).toBeCloseTo(0.9 + 0.1 * 1, 6); // biased variance of [1, 3] is 1
    expect(v[1]).toBeCloseTo(0.9, 6);
    tf.dispose(z);
    q.dispose();
  });

  it('reports stable diagnostics whose bin entropy and KS match N(0,1) theory (§11.3, §11.4)', () => {
    const q = new FsqQuantizer({ levels: [9, 9] });
    const z = tf.randomNormal([8, 64, 64, 2], 0, 1, 'float32', 11) as tf.Tensor4D;
    const r = q.quantize(z, { collectStats: true });
    const s = r.stats;
    for (const key of ['utilization', 'entropy_bits', 'perplexity', 'ks', 'ks_rmse', 'dim0_entropy_bits', 'dim1_perplexity',
      'dim0_utilization', 'bin_entropy_bits', 'running_mean', 'running_var', 'latent_mean', 'latent_var']) {
      expect(s[key], key).toBeTypeOf('number');
    }
    expect(s.dim0_entropy_bits).toBeCloseTo(3.08147, 1);
    expect(Math.abs(s.ks - 0.01727)).toBeLessThan(0.006);
    expect(s.utilization).toBe(1);
    expect(s.dim0_utilization).toBe(1);
    expect(s.codebook_size).toBe(81);
    expect(Math.abs(s.latent_var - 1)).toBeLessThan(0.05);
    expect(q.quantize(z).stats).toEqual({});
    tf.dispose([z, r.codes, r.indices as tf.Tensor, r.auxLoss]);
    q.dispose();
  });

  it('reports a larger KS for the tanh bound than for iFSQ on N(0,1) latents', () => {
    const z = tf.randomNormal([4, 64, 64, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const ks = (bound: 'ifsq' | 'tanh'): number => {
      const q = new FsqQuantizer({ levels: [9], bound });
      const r = q.quantize(z, { collectStats: true });
      tf.dispose([r.codes, r.indices as tf.Tensor, r.auxLoss]);
      q.dispose();
      return r.stats.ks;
    };
    expect(Math.abs(ks('tanh') - 0.04423)).toBeLessThan(0.006);
    expect(ks('tanh')).toBeGreaterThan(ks('ifsq'));
    z.dispose();
  });

  it('diagnoses one latent under both bounds with the KS each bound reports on its own (§11.4 values)', () => {
    const z = tf.randomNormal([4, 64, 64, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const own = (bound: 'ifsq' | 'tanh'): number => {
      const q = new FsqQuantizer({ levels: [9], bound });
      const r = q.quantize(z, { collectStats: true });
      tf.dispose([r.codes, r.indices as tf.Tensor, r.auxLoss]);
      q.dispose();
      return r.stats.ks;
    };
    const q = new FsqQuantizer({ levels: [9], bound: 'ifsq' });
    const before = tf.memory().numTensors;
    const d = q.diagnose(z);
    expect(tf.memory().numTensors).toBe(before);
    expect(d.ks_ifsq).toBeCloseTo(own('ifsq'), 6);
    expect(d.ks_tanh).toBeCloseTo(own('tanh'), 6);
    expect(Math.abs(d.ks_ifsq - 0.01727)).toBeLessThan(0.006);
    expect(Math.abs(d.ks_tanh - 0.04423)).toBeLessThan(0.006);
    expect(d.ks_rmse_tanh).toBeGreaterThan(d.ks_rmse_ifsq);
    const even = new FsqQuantizer({ levels: [8], bound: 'tanh' }).diagnose(z);
    expect(even.ks_ifsq).toBeNaN();
    expect(Number.isFinite(even.ks_tanh)).toBe(true);
    z.dispose();
    q.dispose();
  });

  it('leaks no tensors on quantize, codec, bounded values and gradient paths', () => {
    const q = new FsqQuantizer({ levels: [7, 5, 5], groups: [1, 2] });
    const z = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (const training of [false, true]) {
      const r = q.quantize(z, { training, collectStats: true });
      const back = q.indicesToCodes(r.indices as tf.Tensor);
      const idx = q.codesToIndices(r.codes);
      tf.dispose([r.codes, r.indices as tf.Tensor, r.auxLoss, back, idx]);
    }
    const y = q.boundedValues(z);
    y.dispose();
    const g = tf.grad((x: tf.Tensor) => {
      const r = q.quantize(x as tf.Tensor4D, { training: true });
      tf.dispose([r.indices as tf.Tensor, r.auxLoss]);
      return tf.sum(r.codes);
    })(z);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    z.dispose();
    q.dispose();
    q.dispose();
  });
});

describe('ifsq plugin', () => {
  it('imports no TensorFlow.js at the top level of its module graph', () => {
    for (const file of ['plugin.ts', 'options-schema.ts']) {
      const src = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      expect(src, file).not.toMatch(/^import[^;]*['"]@tensorflow\/tfjs['"]/m);
      expect(src, file).not.toMatch(/^import (?!type)[^;]*from '\.\/(quantizer|ops|create-fsq)\.js'/m);
    }
  });

  it('is a quantizer producing discrete latents whose defaults validate against its schema', () => {
    expect(ifsq).toMatchObject({ name: 'ifsq', kind: 'quantizer', apiVersion: '1' });
    expect(ifsq.traits?.(ifsq.defaults as never)).toEqual({ produces: 'discrete' });
    expect(Value.Check(FsqOptionsSchema, ifsq.defaults)).toBe(true);
    expect(Value.Check(FsqOptionsSchema, { ...ifsq.defaults, bits: 4, channels: 8 })).toBe(true);
    expect(Value.Check(FsqOptionsSchema, { bound: 'sigmoid' })).toBe(false);
  });

  it('creates the quantizer lazily, with bits overriding the default levels', async () => {
    const q = (await ifsq.create({} as never, { ...ifsq.defaults, bits: 2, channels: 3 } as never)) as FsqQuantizer;
    expect(q.spec.levels).toEqual([5, 5, 5]);
    q.dispose();
    const p = (await ifsq.create({} as never, { ...ifsq.defaults } as never)) as FsqQuantizer;
    expect(p.spec.levels).toEqual([9, 9, 9, 9]);
    p.dispose();
  });

  it('is listed in the package manifest', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { ifsq: unknown };
    expect(pkg.ifsq).toEqual({
      apiVersion: '1',
      plugins: [{ name: 'ifsq', kind: 'quantizer', entry: './dist/plugin.js', export: 'ifsq', description: expect.any(String) }],
    });
  });
});
