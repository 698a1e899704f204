import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { nativeKernels } from './native-kernels.js';
import { seededNormal, valuesOn } from './test-helpers.js';
import { simplifyTranspose, SMALL_TRANSPOSE } from './transpose-kernel.js';

beforeAll(async () => {
  await prepareWasmBackend();
});

describe('simplifyTranspose', () => {
  it('drops size-1 axes and merges axes that move together', () => {
    expect(simplifyTranspose([2, 1, 3, 4], [0, 3, 1, 2])).toEqual({ shape: [2, 3, 4], perm: [0, 2, 1] });
    expect(simplifyTranspose([2, 1, 3, 4], [0, 2, 3, 1])).toEqual({ shape: [24], perm: [0] });
    expect(simplifyTranspose([2, 3, 4, 5], [0, 1, 3, 2])).toEqual({ shape: [6, 4, 5], perm: [0, 2, 1] });
    expect(simplifyTranspose([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(simplifyTranspose([16, 64, 4, 32], [0, 2, 1, 3])).toEqual({ shape: [16, 64, 4, 32], perm: [0, 2, 1, 3] });
  });

  it('reduces a transpose that moves no data to the identity', () => {
    expect(simplifyTranspose([1, 5, 1], [2, 1, 0])).toEqual({ shape: [5], perm: [0] });
    expect(simplifyTranspose([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });
});

/** Every permutation of 0..n−1. */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

describe('wasm Transpose equals the cpu kernel bit for bit', () => {
  const cases: Array<{ shape: number[]; perms: number[][] }> = [
    { shape: [67, 45], perms: [[1, 0]] },
    { shape: [1024, 128], perms: [[1, 0]] },
    { shape: [3, 37, 29], perms: permutations(3) },
    { shape: [2, 5, 7, 33], perms: permutations(4) },
    { shape: [2, 1, 9, 1, 130], perms: [[4, 3, 2, 1, 0], [0, 4, 2, 1, 3], [1, 3, 0, 4, 2]] },
  ];
  for (const { shape, perms } of cases) {
    it(`float32 [${shape.join(',')}] under ${perms.length} permutation(s)`, async () => {
      const values = seededNormal(shape, `t${shape.join(',')}`);
      for (const perm of perms) {
        const run = () => tf.transpose(tf.tensor(values, shape), perm);
        const expected = await valuesOn('cpu', run);
        const actual = await valuesOn('wasm', run);
        expect(Array.from(actual), `perm [${perm.join(',')}]`).toEqual(Array.from(expected));
      }
    });
  }

  it('moves int32 values unchanged', async () => {
    const shape = [40, 70];
    const values = Int32Array.from({ length: 2800 }, (_, i) => (i * 2654435761) | 0);
    await tf.setBackend('wasm');
    const t = tf.tidy(() => tf.transpose(tf.tensor(values, shape, 'int32')));
    const got = (await t.data()) as Int32Array;
    t.dispose();
    expect(got[3 * 40 + 7]).toBe(values[7 * 70 + 3]);
    expect(Array.from(got).sort()).toEqual(Array.from(values).sort());
  });

  it('runs on the SIMD module above the small-tensor threshold', () => {
    expect(nativeKernels()).toBeDefined();
    expect(SMALL_TRANSPOSE).toBeLessThan(67 * 45);
  });

  it('leaks no tensors or buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(seededNormal([64, 96], 'leak'), [64, 96]);
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) tf.dispose(tf.transpose(x));
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    x.dispose();
  });
});

describe('native transpose', () => {
  it('rejects ranks above 8 and short arrays', () => {
    const k = nativeKernels()!;
    expect(() => k.transpose(new Float32Array(1), Array(9).fill(1), [...Array(9).keys()], new Float32Array(1))).toThrow(/rank ≤ 8/);
    expect(() => k.transpose(new Float32Array(5), [2, 3], [1, 0], new Float32Array(6))).toThrow(/x has 5 and out 6 elements, expected 6/);
  });
});
