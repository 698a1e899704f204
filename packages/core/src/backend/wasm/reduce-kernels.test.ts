import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { prepareWasmBackend } from './index.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';
import { closeness, seededNormal, valuesOn } from './test-helpers.js';

beforeAll(async () => {
  await prepareWasmBackend();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await tf.setBackend('cpu');
});

/** Σ (or mean) over `axes` in float64, element by element: the independent reference. */
function reference(x: Float32Array, shape: number[], axes: number[], mean: boolean): Float64Array {
  const strides = tf.util.computeStrides(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = keptAxes.map((i) => shape[i]);
  const keptStrides = tf.util.computeStrides(keptShape);
  const out = new Float64Array(tf.util.sizeFromShape(keptShape));
  for (let flat = 0; flat < x.length; flat++) {
    let o = 0;
    keptAxes.forEach((axis, k) => {
      const index = Math.floor(flat / (strides[axis] ?? 1)) % shape[axis];
      o += index * (keptStrides[k] ?? 1);
    });
    out[o] += x[flat];
  }
  const count = axes.reduce((p, a) => p * shape[a], 1);
  return mean ? out.map((v) => v / count) : out;
}

const cases: Array<{ shape: number[]; axes: number[]; native: boolean }> = [
  { shape: [1024, 512], axes: [0], native: true }, // bias gradient of a dense layer
  { shape: [16, 64, 128], axes: [0, 1], native: true },
  { shape: [4, 5, 6, 3], axes: [0, 1, 2], native: true },
  { shape: [3, 7, 5], axes: [1], native: true },
  { shape: [2, 6, 4, 10], axes: [1, 2], native: true },
  { shape: [37, 9], axes: [0], native: true },
  { shape: [5, 1, 8, 3], axes: [1, 2], native: true },
  { shape: [2, 6, 4, 3], axes: [1, 3], native: false }, // GroupNorm statistics: [kept, red, kept, red]
  { shape: [3, 4, 5], axes: [0, 2], native: false },
];

describe('wasm Sum and Mean over leading and middle axes', () => {
  it('has the native kernels in this runtime', () => {
    expect(nativeKernels()).toBeDefined();
  });

  for (const c of cases) {
    for (const op of ['sum', 'mean'] as const) {
      it(`${op} over [${c.axes}] of [${c.shape}] equals the float64 reference and cpu${c.native ? ' (native)' : ' (JS loop)'}`, async () => {
        const values = seededNormal(c.shape, `reduce/${c.shape}`);
        const run = () => tf[op](tf.tensor(values, c.shape), c.axes);
        const cpu = await valuesOn('cpu', run);
        await tf.setBackend('wasm');
        const native = nativeKernels();
        if (!native) throw new Error('native kernels expected');
        const spy = vi.spyOn(native, 'sumMiddle');
        const backend = tf.backend() as unknown as WasmBackendLike;
        const ids = backend.numDataIds();
        const tensors = tf.memory().numTensors;
        const wasm = await valuesOn('wasm', run);
        expect(backend.numDataIds()).toBe(ids);
        expect(tf.memory().numTensors).toBe(tensors);
        expect(spy).toHaveBeenCalledTimes(c.native ? 1 : 0);
        spy.mockRestore();
        const ref = reference(values, c.shape, c.axes, op === 'mean');
        // Native sums are float64 rounded once: within half a float32 ulp (6e-8 relative) of the reference.
        if (c.native) expect(closeness(wasm, ref, 6e-8, 1e-30)).toBeLessThanOrEqual(1);
        expect(closeness(wasm, ref, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        expect(closeness(wasm, cpu, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
      });
    }
  }

  it('keeps the reduced axes as size 1 with keepDims', async () => {
    await tf.setBackend('wasm');
    const y = tf.tidy(() => tf.sum(tf.ones([3, 4, 5]), [0, 1], true));
    expect(y.shape).toEqual([1, 1, 5]);
    expect(Array.from(y.dataSync())).toEqual([12, 12, 12, 12, 12]);
    y.dispose();
  });

  it('sums 2^17 rows of 1 + 2^-20 without float32 drift (float64 accumulation)', async () => {
    await tf.setBackend('wasm');
    const rows = 1 << 17;
    const x = tf.fill([rows, 4], 1 + 2 ** -20);
    const y = tf.sum(x, 0);
    // Exact: 2^17 + 2^-3, representable in float32. Sequential float32 addition stalls near 2^17 (ulp 2^-6 ... 2^-7).
    expect(Array.from(y.dataSync())).toEqual([rows + 0.125, rows + 0.125, rows + 0.125, rows + 0.125]);
    tf.dispose([x, y]);
  });
});

describe('NativeKernels.sumMiddle', () => {
  it('sums [2, 3, 2] over the middle axis and divides by the divisor', () => {
    const native = nativeKernels();
    if (!native) throw new Error('native kernels expected');
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const out = new Float32Array(4);
    native.sumMiddle(x, { outer: 2, mid: 3, inner: 2 }, out);
    expect(Array.from(out)).toEqual([0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11]);
    native.sumMiddle(x, { outer: 2, mid: 3, inner: 2 }, out, 3);
    expect(Array.from(out)).toEqual([2, 3, 8, 9]);
    expect(() => native.sumMiddle(x, { outer: 2, mid: 3, inner: 3 }, out)).toThrow(/sumMiddle: 'x' has 12 floats, expected 18/);
  });
});
