/** Spec §11.1–11.2 test vectors, through both the op path (training) and the fast path (inference). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveFsqConfig } from './config.js';
import { createFsq } from './create-fsq.js';
import { encodeIndices } from './fast-encode.js';
import { roundSTE, scaledOp } from './ops.js';
import { roundHalfEven } from './reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const z4 = (rows: number[][]): tf.Tensor4D => tf.tensor4d(rows.flat(), [1, 1, rows.length, 4]);
const close = (a: ArrayLike<number>, b: number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  Array.from(a).forEach((v, i) => expect(Math.abs(v - b[i]), `entry ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));
};

describe('§11.1 FSQ tanh bound, levels [8,5,5,5]', () => {
  const rows = [
    { z: [0.3, -1.2, 2.0, 0.05], b: [0.959918, -1.668977, 1.929983, 0.100017], code: [0.25, -1, 1, 0], digits: [5, 0, 4, 2], little: 565, big: 647 },
    { z: [0, 0, 0, 0], b: [0, 0, 0, 0], code: [0, 0, 0, 0], digits: [4, 2, 2, 2], little: 500, big: 562 },
    { z: [-5, 5, 0.6, -0.6], b: [-4.003076, 2.001818, 1.075173, -1.075173], code: [-1, 1, 0.5, -0.5], digits: [0, 4, 3, 1], little: 352, big: 116 },
  ];

  it('computes the bounded values of the table', () => {
    const cfg = resolveFsqConfig({ levels: [8, 5, 5, 5], bound: 'tanh' });
    const z = z4(rows.map((r) => r.z));
    const b = scaledOp(z, cfg);
    close(b.dataSync(), rows.flatMap((r) => r.b), 1e-4);
    tf.dispose([z, b]);
  });

  it.each(['little', 'big'] as const)('gives the table codes, digits and %s-endian indices on both paths', (order) => {
    const fsq = createFsq({ levels: [8, 5, 5, 5], bound: 'tanh', indexOrder: order });
    expect(fsq.spec.vocabSizes).toEqual([1000]);
    const z = z4(rows.map((r) => r.z));
    const want = rows.map((r) => (order === 'little' ? r.little : r.big));
    for (const training of [true, false]) {
      const { codes, indices } = fsq.quantize(z, { training });
      close(codes.dataSync(), rows.flatMap((r) => r.code), 1e-7);
      expect(Array.from(indices.dataSync())).toEqual(want);
      expect(indices.shape).toEqual([1, 1, 3]);
      tf.dispose([codes, indices]);
    }
    const { digits } = encodeIndices(z.dataSync() as Float32Array, fsq.quantizer.config, { digits: true });
    expect(Array.from(digits as Int32Array)).toEqual(rows.flatMap((r) => r.digits));
    tf.dispose(z);
    fsq.dispose();
  });

  it('inverts little-endian indices to the table codes', () => {
    const fsq = createFsq({ levels: [8, 5, 5, 5], bound: 'tanh' });
    const idx = tf.tensor3d([0, 1, 7, 8, 999, 537], [1, 1, 6], 'int32');
    const codes = fsq.indicesToCodes(idx);
    close(codes.dataSync(), [
      [-1, -1, -1, -1], [-0.75, -1, -1, -1], [0.75, -1, -1, -1], [-1, -0.5, -1, -1], [0.75, 1, 1, 1], [-0.75, 0, 0.5, 0],
    ].flat(), 1e-7);
    const back = fsq.codesToIndices(codes);
    expect(Array.from(back.dataSync())).toEqual([0, 1, 7, 8, 999, 537]);
    tf.dispose([idx, codes, back]);
    fsq.dispose();
  });
});

describe('§11.2 iFSQ bound α = 1.6 on z = [0.3, −1.2, 2.0, 0.05]', () => {
  const z = [0.3, -1.2, 2.0, 0.05];
  it.each([
    { L: 17, s: [1.883966, -5.954215, 7.373348, 0.319829], code: [0.25, -0.75, 0.875, 0], digits: [10, 2, 15, 8], little: 43683, big: 49971, K: 83521 },
    { L: 9, s: [0.941983, -2.977107, 3.686674, 0.159915], code: [0.25, -0.75, 1, 0], digits: [5, 1, 8, 4], little: 3578, big: 3802, K: 6561 },
    { L: 5, s: [0.470991, -1.488554, 1.843337, 0.079957], code: [0, -0.5, 1, 0], digits: [2, 1, 4, 2], little: 357, big: 297, K: 625 },
  ])('reproduces the L = $L row', ({ L, s, code, digits, little, big, K }) => {
    const levels = [L, L, L, L];
    const zt = z4([z]);
    const scaled = scaledOp(zt, resolveFsqConfig({ levels }));
    close(scaled.dataSync(), s, 1e-4);
    for (const [order, want] of [['little', little], ['big', big]] as const) {
      const fsq = createFsq({ levels, indexOrder: order });
      expect(fsq.spec.vocabSizes).toEqual([K]);
      for (const training of [true, false]) {
        const out = fsq.quantize(zt, { training });
        close(out.codes.dataSync(), code, 1e-7);
        expect(Array.from(out.indices.dataSync())).toEqual([want]);
        tf.dispose([out.codes, out.indices]);
      }
      const enc = encodeIndices(zt.dataSync() as Float32Array, fsq.quantizer.config, { digits: true });
      expect(Array.from(enc.digits as Int32Array)).toEqual(digits);
      fsq.dispose();
    }
    tf.dispose([zt, scaled]);
  });

  it('gives the bounded values y = 2σ(1.6z) − 1 of the table', () => {
    const fsq = createFsq({ levels: [17, 17, 17, 17] });
    const zt = z4([z]);
    const y = fsq.boundedValues(zt);
    close(y.dataSync(), [0.235496, -0.744277, 0.921669, 0.039979], 1e-6);
    tf.dispose([zt, y]);
    fsq.dispose();
  });

  it('splits factorized [2,2] indices into [44, 151], whose global index is the full little-endian index', () => {
    const fsq = createFsq({ bits: 4, channels: 4, groups: [2, 2] });
    expect(fsq.spec.levels).toEqual([17, 17, 17, 17]);
    expect(fsq.spec.vocabSizes).toEqual([289, 289]);
    const zt = z4([z]);
    for (const training of [true, false]) {
      const { codes, indices } = fsq.quantize(zt, { training });
      expect(indices.shape).toEqual([1, 1, 1, 2]);
      const [a, b] = Array.from(indices.dataSync());
      expect([a, b]).toEqual([44, 151]);
      expect(a + b * 289).toBe(43683);
      const back = fsq.indicesToCodes(indices);
      close(back.dataSync(), [0.25, -0.75, 0.875, 0], 1e-7);
      tf.dispose([codes, indices, back]);
    }
    tf.dispose(zt);
    fsq.dispose();
  });
});

describe('straight-through rounding', () => {
  const slopeAtZero = (options: Parameters<typeof createFsq>[0]): number => {
    const fsq = createFsq(options);
    const z = tf.zeros([1, 1, 1, 4]) as tf.Tensor4D;
    const g = tf.grad((x: tf.Tensor) => {
      const r = fsq.quantizer.quantize(x as tf.Tensor4D, { training: true });
      tf.dispose([r.indices as tf.Tensor, r.auxLoss]);
      return tf.sum(r.codes);
    })(z);
    const v = g.dataSync()[0];
    tf.dispose([z, g]);
    fsq.dispose();
    return v;
  };

  it('has slope 0.8 at z = 0 for iFSQ (α = 1.6)', () => {
    expect(slopeAtZero({ levels: [9, 9, 9, 9] })).toBeCloseTo(0.8, 6);
  });

  it('has slope 1.0 at z = 0 for tanh (the α = 2 simple bound, and 1 + eps for the eps-widened FSQ bound)', () => {
    expect(slopeAtZero({ levels: [9, 9, 9, 9], alpha: 2 })).toBeCloseTo(1.0, 6);
    expect(slopeAtZero({ levels: [9, 9, 9, 9], bound: 'tanh' })).toBeCloseTo(1.001, 6);
  });

  it('rounds half to even in the forward pass and passes the gradient through', () => {
    const x = tf.tensor1d([2.5, -4.5, 0.5, 1.5, -2.5, 3.4999]);
    const y = roundSTE(x);
    expect(Array.from(y.dataSync())).toEqual([2, -4, 0, 2, -2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundSTE(t), 3)))(x);
    expect(Array.from(g.dataSync())).toEqual([3, 3, 3, 3, 3, 3]);
    expect([2.5, -4.5, 0.5, 1.5].map(roundHalfEven)).toEqual([2, -4, 0, 2]);
    tf.dispose([x, y, g]);
  });

  it('snaps a code exactly between two levels to the even digit', () => {
    const fsq = createFsq({ levels: [5] });
    // code 0.25 → 0.25·2 + 2 = 2.5 → digit 2; code 0.75 → 3.5 → digit 4.
    const codes = tf.tensor4d([0.25, 0.75, -0.25], [1, 1, 3, 1]);
    const idx = fsq.codesToIndices(codes);
    expect(Array.from(idx.dataSync())).toEqual([2, 4, 2]);
    tf.dispose([codes, idx]);
    fsq.dispose();
  });
});
