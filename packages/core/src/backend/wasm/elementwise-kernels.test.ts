import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { broadcastKind } from './elementwise-kernels.js';
import { prepareWasmBackend } from './index.js';
import { nativeKernels } from './native-kernels.js';
import { seededNormal, valuesOn } from './test-helpers.js';

beforeAll(async () => {
  await prepareWasmBackend();
});

describe('broadcastKind', () => {
  it('tells the three broadcasts the SIMD kernel handles from the rest', () => {
    expect(broadcastKind([1024, 512], [1024, 512])).toBe('full');
    expect(broadcastKind([512], [1024, 512])).toBe('cycle');
    expect(broadcastKind([], [16, 64, 128])).toBe('cycle');
    expect(broadcastKind([1, 1, 1], [16, 64, 128])).toBe('cycle');
    expect(broadcastKind([64, 64], [16, 4, 64, 64])).toBe('cycle');
    expect(broadcastKind([16, 4, 64, 1], [16, 4, 64, 64])).toBe('repeat');
    expect(broadcastKind([16, 1, 1], [16, 8, 8])).toBe('repeat');
    expect(broadcastKind([4, 1, 64], [4, 3, 64])).toBeUndefined();
    expect(broadcastKind([1, 64, 1], [4, 64, 3])).toBeUndefined();
  });
});

describe('wasm Add, Sub, Multiply, RealDiv and Square equal the cpu kernels bit for bit', () => {
  const cases: Array<[string, number[], number[]]> = [
    ['same shape', [33, 70], [33, 70]],
    ['bias over leading axes', [40, 70], [70]],
    ['scalar right', [9, 13], []],
    ['scalar left', [], [9, 13]],
    ['mask over the batch', [3, 2, 16, 16], [16, 16]],
    ['row scale on the left', [3, 2, 16, 1], [3, 2, 16, 16]],
    ['row scale on the right', [5, 31], [5, 1]],
    ['bias on the left', [70], [40, 70]],
    ['two broadcasts (stock kernel)', [6, 1], [1, 7]],
  ];
  for (const [name, sa, sb] of cases) {
    it(name, async () => {
      const a = seededNormal(sa, `a${name}`);
      const b = seededNormal(sb, `b${name}`);
      for (const op of [tf.add, tf.sub, tf.mul, tf.div, (x: tf.Tensor, y: tf.Tensor) => tf.square(tf.add(x, y))]) {
        const run = () => op(tf.tensor(a, sa), tf.tensor(b, sb));
        const expected = await valuesOn('cpu', run);
        const actual = await valuesOn('wasm', run);
        expect(Array.from(actual), `${op.name} ${name}`).toEqual(Array.from(expected));
      }
    });
  }

  it('leaves int32 arithmetic to the stock kernels', async () => {
    await tf.setBackend('wasm');
    const t = tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([10], [1], 'int32'));
    expect(t.dtype).toBe('int32');
    expect(Array.from(await t.data())).toEqual([11, 12, 13]);
    t.dispose();
  });

  it('leaks no tensors or buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(seededNormal([64, 32], 'leak'), [64, 32]);
    const bias = tf.tensor(seededNormal([32], 'bias'), [32]);
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose([tf.add(x, bias), tf.sub(bias, x), tf.mul(x, 2)]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([x, bias]);
  });
});

describe('native binary', () => {
  it('names an operand that cannot be spread over the output', () => {
    const k = nativeKernels()!;
    expect(() => k.binary('add', new Float32Array(6), new Float32Array(4), new Float32Array(6), 'cycle')).toThrow(
      /'b' has 4 floats, which a cycle broadcast cannot spread over 6/,
    );
    expect(() => k.binary('add', new Float32Array(5), new Float32Array(6), new Float32Array(6), 'full')).toThrow(/'a' has 5 floats, expected 6/);
  });

  it('computes b − a for reverseSub', () => {
    const out = new Float32Array(4);
    nativeKernels()!.binary('reverseSub', Float32Array.of(1, 2, 3, 4), Float32Array.of(10), out, 'cycle');
    expect(Array.from(out)).toEqual([9, 8, 7, 6]);
  });
});
