import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { copyBox, registerSliceKernels } from './slice-kernel.js';
import { stockKernel } from './stock-kernels.js';
import { seededNormal } from './test-helpers.js';

beforeAll(async () => {
  await prepareWasmBackend();
  registerSliceKernels();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Values with a distinctive bit pattern in every element: seeded normals, plus NaN payloads and −0. */
function values(shape: number[], seed: string): Float32Array {
  const v = seededNormal(shape, seed);
  const bits = new Int32Array(v.buffer);
  if (v.length > 2) {
    bits[1] = 0x7fc00123; // a NaN with a payload
    v[2] = -0;
  }
  return v;
}

/** The raw bits of every output of `fn` on `backend` (tensors disposed), checking that nothing leaks. */
async function bitsOn(backend: string, make: () => tf.Tensor, fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]): Promise<{ shapes: number[][]; bits: Int32Array[] }> {
  await tf.setBackend(backend);
  const x = make();
  const tensors = tf.memory().numTensors;
  const ids = (tf.backend() as unknown as WasmBackendLike).numDataIds?.();
  const out = fn(x);
  const outs = Array.isArray(out) ? out : [out];
  const result = {
    shapes: outs.map((t) => t.shape),
    bits: outs.map((t) => {
      const d = t.dataSync();
      // Reinterpret the bytes (no numeric conversion, which could canonicalise NaN payloads).
      return new Int32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    }),
  };
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(tensors);
  if (ids !== undefined) expect((tf.backend() as unknown as WasmBackendLike).numDataIds()).toBe(ids);
  x.dispose();
  return result;
}

async function expectSameAsCpu(make: () => tf.Tensor, fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]): Promise<void> {
  const cpu = await bitsOn('cpu', make, fn);
  const wasm = await bitsOn('wasm', make, fn);
  expect(wasm.shapes).toEqual(cpu.shapes);
  expect(wasm.bits).toEqual(cpu.bits);
}

const sliceCases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
  { shape: [10], begin: [3], size: [5] },
  { shape: [10], begin: [0], size: [-1] },
  { shape: [300, 384], begin: [0, 128], size: [300, 128] },
  { shape: [7, 40], begin: [2, 0], size: [3, 40] },
  { shape: [7, 40], begin: [2, 5], size: [4, 3] },
  { shape: [7, 40], begin: [6, 39], size: [1, 1] },
  { shape: [4, 5, 33], begin: [1, 2, 0], size: [2, -1, 33] },
  { shape: [4, 5, 33], begin: [0, 0, 7], size: [4, 5, 20] },
  { shape: [4, 1, 5, 6], begin: [1, 0, 1, 2], size: [2, 1, 3, 4] },
  { shape: [2, 3, 4, 5, 6], begin: [1, 0, 2, 1, 0], size: [1, 3, 2, 4, 6] },
  { shape: [2, 3, 2, 3, 2, 5], begin: [0, 1, 0, 1, 1, 2], size: [2, 2, 2, 1, 1, 3] },
  { shape: [3, 4], begin: [1, 2], size: [0, 2] },
];

describe('wasm Slice copies runs on the heap', () => {
  it('replaces the stock Slice, SplitV and StridedSlice kernels', () => {
    for (const name of ['Slice', 'SplitV', 'StridedSlice']) {
      expect(tf.getKernel(name, 'wasm')?.kernelFunc).not.toBe(stockKernel(name).kernelFunc);
    }
  });

  for (const c of sliceCases) {
    it(`equals cpu bit for bit: [${c.shape}] from [${c.begin}] size [${c.size}]`, async () => {
      await expectSameAsCpu(
        () => tf.tensor(values(c.shape, `slice/${c.shape}`), c.shape),
        (x) => tf.slice(x, c.begin, c.size),
      );
    });
  }

  it('slices int32 tensors exactly', async () => {
    const shape = [5, 6, 7];
    const ints = Int32Array.from({ length: 210 }, (_, i) => (i * 2654435761) | 0);
    await expectSameAsCpu(() => tf.tensor(ints, shape, 'int32'), (x) => tf.slice(x, [1, 2, 3], [3, 3, 4]));
  });

  it('leaves bool tensors to the stock kernel, with the same result', async () => {
    const bools = Array.from({ length: 24 }, (_, i) => i % 3 === 0);
    await expectSameAsCpu(() => tf.tensor(bools, [4, 6], 'bool'), (x) => tf.slice(x, [1, 1], [2, 4]));
  });

  it('rejects a box outside the tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([3, 4]);
    expect(() => tf.slice(x, [2, 0], [2, 4])).toThrow();
    x.dispose();
  });
});

describe('wasm SplitV', () => {
  const cases: Array<{ shape: number[]; splits: number | number[]; axis: number }> = [
    { shape: [300, 384], splits: 3, axis: 1 },
    { shape: [20, 24], splits: 3, axis: -1 },
    { shape: [6, 10], splits: [3, -1, 2], axis: 1 },
    { shape: [6, 10], splits: [1, 5], axis: 0 },
    { shape: [2, 9, 4, 5], splits: [2, 3, 4], axis: 1 },
    { shape: [2, 3, 4, 6], splits: [1, 0, 5], axis: 3 },
    { shape: [8], splits: 4, axis: 0 },
  ];
  for (const c of cases) {
    it(`equals cpu bit for bit: [${c.shape}] into ${JSON.stringify(c.splits)} along ${c.axis}`, async () => {
      await expectSameAsCpu(
        () => tf.tensor(values(c.shape, `split/${c.shape}`), c.shape),
        (x) => tf.split(x, c.splits, c.axis),
      );
    });
  }

  it('splits int32 tensors exactly', async () => {
    const ints = Int32Array.from({ length: 60 }, (_, i) => -7 * i);
    await expectSameAsCpu(() => tf.tensor(ints, [5, 12], 'int32'), (x) => tf.split(x, [4, 8], 1));
  });

  it('gives the gradient of a split (concatenated upstream gradients)', async () => {
    const make = () => tf.tensor(values([4, 9], 'split/grad'), [4, 9]);
    await expectSameAsCpu(make, (x) =>
      tf.grad((t: tf.Tensor) => {
        const [a, b, c] = tf.split(t, 3, 1);
        return tf.sum(tf.add(tf.mul(a, 2), tf.mul(tf.mul(b, c), 3)));
      })(x),
    );
  });
});

describe('wasm StridedSlice with unit strides', () => {
  it('equals cpu bit for bit, with masks and shrinking axes', async () => {
    const shape = [4, 6, 8];
    const make = () => tf.tensor(values(shape, 'strided'), shape);
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [1, 2, 3], [3, 5, 7], [1, 1, 1]));
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [1, 0, 3], [3, 0, 7], [1, 1, 1], 0, 2));
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [2, 1, 0], [3, 4, 8], [1, 1, 1], 0, 0, 0, 0, 1));
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [0, -3, 0], [4, -1, 8], [1, 1, 1]));
  });

  it('keeps non-unit and negative strides on the stock kernel, with the same result', async () => {
    const shape = [5, 7];
    const make = () => tf.tensor(values(shape, 'strided/2'), shape);
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [0, 1], [5, 7], [2, 3]));
    await expectSameAsCpu(make, (x) => tf.stridedSlice(x, [4, 6], [0, 0], [-1, -2]));
  });
});

describe('copyBox', () => {
  it('copies a box of a small array into consecutive words', () => {
    // shape [3, 4] = 0..11 at word 2; box rows 1..2, columns 1..2 → 5, 6, 9, 10 at word 20.
    const heap = new Int32Array(32).fill(-1);
    for (let i = 0; i < 12; i++) heap[2 + i] = i;
    copyBox(heap, 2, [3, 4], [1, 1], [2, 2], 20);
    expect(Array.from(heap.subarray(20, 25))).toEqual([5, 6, 9, 10, -1]);
  });
});
