import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingWasmKernels, prepareWasmBackend, wasmTrainingKernels } from './index.js';
import { setThreadedGemm, threadedGemm } from './gemm-pool.js';
import { closeness, seededNormal, valuesOn } from './test-helpers.js';

type Pad = 'same' | 'valid' | number[][];
interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [
  { name: '3×3 stride 1 same', x: [2, 6, 5, 3], f: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { name: '3×3 stride 2 same', x: [2, 7, 8, 3], f: [3, 3, 3, 2], strides: [2, 2], pad: 'same' },
  { name: '3×3 stride 2 explicit pad (0,1)', x: [1, 8, 8, 2], f: [3, 3, 2, 3], strides: [2, 2], pad: [[0, 0], [0, 1], [0, 1], [0, 0]] },
  { name: '1×1 stride 1 valid', x: [2, 4, 4, 5], f: [1, 1, 5, 3], strides: [1, 1], pad: 'valid' },
  { name: '5×3 strides (2,1) valid', x: [1, 9, 7, 2], f: [5, 3, 2, 2], strides: [2, 1], pad: 'valid' },
  { name: '4×4 stride 2 same (even filter)', x: [1, 8, 6, 2], f: [4, 4, 2, 3], strides: [2, 2], pad: 'same' },
];

function outShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, c.pad as 'same');
  return [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
}

const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

beforeAll(async () => {
  await prepareWasmBackend();
  await tf.setBackend('cpu');
});

describe('prepareWasmBackend', () => {
  it('is idempotent: a second call keeps the same kernels', async () => {
    const before = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    await prepareWasmBackend();
    await Promise.all([prepareWasmBackend(), prepareWasmBackend()]);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).toBe(before);
  });

  it('registers every training kernel for wasm, which stock tfjs-wasm lacks', () => {
    expect(wasmTrainingKernels()).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'UnsortedSegmentSum']));
    expect(missingWasmKernels(wasmTrainingKernels())).toEqual([]);
  });

  it('reports kernels that wasm still lacks', () => {
    expect(missingWasmKernels(['FFT', 'Add', 'FFT', 'Conv2DBackpropFilter'])).toEqual(['FFT']);
  });
});

describe('wasm conv kernels match the cpu kernels', () => {
  for (const c of convCases) {
    it(`Conv2DBackpropFilter: ${c.name}`, async () => {
      const dyShape = outShape(c);
      const make = () => ({
        x: tf.tensor(seededNormal(c.x, `x${c.name}`), c.x),
        dy: tf.tensor(seededNormal(dyShape, `dy${c.name}`), dyShape),
      });
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
      const expected = await valuesOn('cpu', () => runKernel('Conv2DBackpropFilter', make(), attrs));
      await tf.setBackend('wasm');
      const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      // On the GEMM (offset tables over the padded input), then on the XNNPACK composite.
      for (const gemm of [true, false]) {
        setThreadedGemm(gemm);
        const actual = await valuesOn('wasm', () => runKernel('Conv2DBackpropFilter', make(), attrs));
        setThreadedGemm(true);
        expect(closeness(actual, expected), gemm ? 'GEMM' : 'composite').toBeLessThan(1);
        expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
      }
    });

    it(`Conv2DBackpropInput: ${c.name}`, async () => {
      const dyShape = outShape(c);
      const make = () => ({
        dy: tf.tensor(seededNormal(dyShape, `dy${c.name}`), dyShape),
        filter: tf.tensor(seededNormal(c.f, `f${c.name}`), c.f),
      });
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
      const expected = await valuesOn('cpu', () => runKernel('Conv2DBackpropInput', make(), attrs));
      await tf.setBackend('wasm');
      const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const actual = await valuesOn('wasm', () => runKernel('Conv2DBackpropInput', make(), attrs));
      expect(closeness(actual, expected)).toBeLessThan(1);
      expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
    });
  }
});

describe('conv gradient overrides', () => {
  for (const c of convCases) {
    it(`conv2d gradients equal the stock cpu kernels on cpu and on wasm: ${c.name}`, async () => {
      const dyShape = outShape(c);
      const x = () => tf.tensor(seededNormal(c.x, `gx${c.name}`), c.x) as tf.Tensor4D;
      const f = () => tf.tensor(seededNormal(c.f, `gf${c.name}`), c.f) as tf.Tensor4D;
      const dy = () => tf.tensor(seededNormal(dyShape, `gdy${c.name}`), dyShape);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as 'same');
      const grads = (which: 0 | 1) => () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy())))([x(), f()])[which];
      const refDx = await valuesOn('cpu', () =>
        runKernel('Conv2DBackpropInput', { dy: dy(), filter: f() }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }),
      );
      const refDw = await valuesOn('cpu', () =>
        runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f }),
      );
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const n0 = tf.memory().numTensors;
        expect(closeness(await valuesOn(backend, grads(0)), refDx)).toBeLessThan(1);
        expect(closeness(await valuesOn(backend, grads(1)), refDw)).toBeLessThan(1);
        expect(tf.memory().numTensors).toBe(n0);
      }
    });
  }

  it('conv2dTranspose gradients equal the stock cpu kernels on cpu and on wasm', async () => {
    const hShape: [number, number, number, number] = [2, 4, 4, 3];
    const fShape: [number, number, number, number] = [3, 3, 2, 3]; // [fh, fw, outC, inC]
    const outS: [number, number, number, number] = [2, 8, 8, 2];
    const h = () => tf.tensor(seededNormal(hShape, 'th'), hShape) as tf.Tensor4D;
    const f = () => tf.tensor(seededNormal(fShape, 'tf'), fShape) as tf.Tensor4D;
    const r = () => tf.tensor(seededNormal(outS, 'tr'), outS);
    const grads = (which: 0 | 1) => () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outS, 2, 'same'), r())),
      )([h(), f()])[which];
    const refDh = await valuesOn('cpu', () => tf.conv2d(r() as tf.Tensor4D, f(), 2, 'same'));
    const refDf = await valuesOn('cpu', () =>
      runKernel('Conv2DBackpropFilter', { x: r(), dy: h() }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: fShape }),
    );
    for (const backend of ['cpu', 'wasm']) {
      expect(closeness(await valuesOn(backend, grads(0)), refDh)).toBeLessThan(1);
      expect(closeness(await valuesOn(backend, grads(1)), refDf)).toBeLessThan(1);
    }
  });

  it('rejects dilated convolutions with a clear message', async () => {
    await tf.setBackend('cpu');
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    expect(() => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, f, 1, 'same', 'NHWC', 2)))(x)).toThrow(/dilation 1/);
    tf.dispose([x, f]);
  });
});

describe.each([
  ['on the threaded SIMD GEMM', true],
  ['on XNNPACK', false],
])('wasm BatchMatMul %s matches cpu', (_, gemm) => {
  beforeAll(() => setThreadedGemm(gemm));
  afterAll(() => setThreadedGemm(true));
  it(gemm ? 'has the GEMM started' : 'has the GEMM switched off', () => {
    expect(threadedGemm() !== undefined).toBe(gemm);
  });

  const cases: Array<{ name: string; a: number[]; b: number[]; tA: boolean; tB: boolean }> = [
    { name: '2-D', a: [5, 7], b: [7, 3], tA: false, tB: false },
    { name: '2-D transposeA', a: [7, 5], b: [7, 3], tA: true, tB: false },
    { name: '2-D transposeB', a: [5, 7], b: [3, 7], tA: false, tB: true },
    { name: '2-D both transposed', a: [7, 5], b: [3, 7], tA: true, tB: true },
    { name: 'batched left, shared right', a: [2, 3, 5, 7], b: [7, 4], tA: false, tB: false },
    { name: 'batched left, broadcast right, transposeA', a: [3, 7, 5], b: [1, 4, 7], tA: true, tB: true },
    { name: 'shared left, batched right', a: [5, 7], b: [3, 7, 4], tA: false, tB: false },
    { name: 'shared left, batched right, transposeB', a: [1, 7, 5], b: [3, 4, 7], tA: true, tB: true },
    { name: 'small batched both sides (stock path)', a: [4, 5, 7], b: [4, 3, 7], tA: false, tB: true },
    { name: 'attention scores q·kᵀ (SIMD kernel)', a: [2, 4, 16, 8], b: [2, 4, 16, 8], tA: false, tB: true },
    { name: 'attention output p·v (SIMD kernel)', a: [8, 16, 16], b: [8, 16, 12], tA: false, tB: false },
    { name: 'attention gradient pᵀ·dy (SIMD kernel)', a: [8, 16, 13], b: [8, 16, 8], tA: true, tB: false },
    { name: '2-D wider than tall, computed as Cᵀ', a: [3, 7], b: [7, 5], tA: false, tB: false },
    { name: '2-D wider than tall, transposeA (weight gradient)', a: [64, 40], b: [64, 100], tA: true, tB: false },
    { name: '2-D wider than tall, transposeB', a: [40, 64], b: [100, 64], tA: false, tB: true },
    { name: '2-D wider than tall, both transposed', a: [64, 40], b: [100, 64], tA: true, tB: true },
    { name: 'batch-1 operands wider than tall', a: [1, 64, 40], b: [1, 64, 100], tA: true, tB: false },
    { name: 'large batched both sides (split path)', a: [2, 128, 128], b: [2, 128, 64], tA: true, tB: false },
    { name: 'large batched left, shared right (one tall product)', a: [3, 40, 64], b: [64, 50], tA: false, tB: false },
    { name: 'large batched left, shared right, transposeA', a: [3, 64, 40], b: [50, 64], tA: true, tB: true },
    { name: 'large shared left, batched right', a: [40, 64], b: [3, 64, 50], tA: false, tB: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = () =>
        tf.matMul(tf.tensor(seededNormal(c.a, `a${c.name}`), c.a), tf.tensor(seededNormal(c.b, `b${c.name}`), c.b), c.tA, c.tB);
      const expected = await valuesOn('cpu', run);
      await tf.setBackend('wasm');
      const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const shape = tf.tidy(() => run().shape);
      const actual = await valuesOn('wasm', run);
      expect(closeness(actual, expected)).toBeLessThan(1);
      expect(shape).toEqual(tf.tidy(() => { return run().shape; }));
      expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
    });
  }
});

describe('wasm UnsortedSegmentSum', () => {
  it('sums rows by segment id and drops out-of-range ids, like cpu', async () => {
    const run = () =>
      tf.unsortedSegmentSum(tf.tensor(seededNormal([6, 3], 'uss'), [6, 3]), tf.tensor1d([0, 2, 0, -1, 2, 5], 'int32'), 4);
    const expected = await valuesOn('cpu', run);
    const actual = await valuesOn('wasm', run);
    expect(Array.from(actual.slice(3, 6))).toEqual([0, 0, 0]); // segment 1 is empty
    expect(closeness(actual, expected)).toBeLessThan(1);
  });

  it('makes the embedding (gather) gradient work on wasm, equal to cpu', async () => {
    const grad = () =>
      tf.grad((table: tf.Tensor) => tf.sum(tf.mul(tf.gather(table, tf.tensor1d([3, 1, 3, 0, 9], 'int32')), tf.range(0, 20).reshape([5, 4]))))(
        tf.tensor(seededNormal([10, 4], 'emb'), [10, 4]),
      );
    const expected = await valuesOn('cpu', grad);
    await tf.setBackend('wasm');
    const n0 = tf.memory().numTensors;
    const actual = await valuesOn('wasm', grad);
    expect(tf.memory().numTensors).toBe(n0);
    expect(closeness(actual, expected)).toBeLessThan(1);
    expect(actual[3 * 4]).toBeCloseTo(0 + 8, 5); // rows 0 and 2 of the multiplier hit id 3
  });
});

describe('nearest-upsample gradient', () => {
  it('is the k×k block sum of dy on cpu and wasm, also for batch > 1 (stock cpu kernel is wrong there)', async () => {
    const r = () => tf.tensor(seededNormal([2, 8, 6, 3], 'up'), [2, 8, 6, 3]);
    const grad = () =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [8, 6]), r())))(tf.zeros([2, 4, 3, 3]));
    const dy = seededNormal([2, 8, 6, 3], 'up');
    const expected = new Float32Array(2 * 4 * 3 * 3);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 6; x++)
          for (let c = 0; c < 3; c++) expected[((b * 4 + (y >> 1)) * 3 + (x >> 1)) * 3 + c] += dy[((b * 8 + y) * 6 + x) * 3 + c];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const n0 = tf.memory().numTensors;
      expect(closeness(await valuesOn(backend, grad), expected)).toBeLessThan(1);
      expect(tf.memory().numTensors).toBe(n0);
    }
  });
});

describe('wasm Identity', () => {
  it('shares the buffer of its input instead of copying it, and keeps values after the input is disposed', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor([1, 2, 3]);
    const ids = backend.numDataIds();
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(ids);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
    expect(backend.numDataIds()).toBe(ids - 1);
  });
});

describe('wasm Sum and Mean over non-innermost axes', () => {
  const cases: Array<{ shape: number[]; axes: number[]; keepDims: boolean }> = [
    { shape: [4, 5, 6, 3], axes: [0, 1, 2], keepDims: false }, // bias gradient
    { shape: [2, 6, 4, 3], axes: [1, 3], keepDims: true }, // GroupNorm statistics
    { shape: [3, 4, 5], axes: [0], keepDims: false },
    { shape: [3, 1, 5, 2], axes: [1, 2], keepDims: true },
    { shape: [3, 4, 5], axes: [0, 2], keepDims: false },
    { shape: [3, 4, 5], axes: [2], keepDims: false }, // innermost: stock kernel
  ];
  for (const c of cases) {
    for (const op of ['sum', 'mean'] as const) {
      it(`${op} over axes [${c.axes.join(',')}] of [${c.shape.join(',')}]${c.keepDims ? ' keepDims' : ''} equals cpu`, async () => {
        const run = () => tf[op](tf.tensor(seededNormal(c.shape, `red${c.shape}`), c.shape), c.axes, c.keepDims);
        const expected = await valuesOn('cpu', run);
        await tf.setBackend('wasm');
        const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
        expect(tf.tidy(() => run().shape)).toEqual(await (async () => { await tf.setBackend('cpu'); return tf.tidy(() => run().shape); })());
        expect(closeness(await valuesOn('wasm', run), expected)).toBeLessThan(1);
        expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
      });
    }
  }
});
