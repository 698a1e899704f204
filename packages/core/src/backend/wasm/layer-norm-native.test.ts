import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { fusedLayerNorm, fusedLayerNormAvailable } from './layer-norm.js';
import { layerNormBackward, layerNormForward } from './layer-norm-math.js';
import { nativeKernels, type NativeKernels } from './native-kernels.js';
import { closeness, seededNormal } from './test-helpers.js';

/** Largest distance in float32 units in the last place between two arrays (NaN anywhere gives Infinity). */
function maxUlps(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) return Infinity;
    // Map the sign-magnitude bits to a monotonic integer line.
    const ka = ia[i] < 0 ? -(ia[i] & 0x7fffffff) : ia[i];
    const kb = ib[i] < 0 ? -(ib[i] & 0x7fffffff) : ib[i];
    worst = Math.max(worst, Math.abs(ka - kb));
  }
  return worst;
}

function native(): NativeKernels {
  const k = nativeKernels();
  if (!k) throw new Error('native kernels expected in this runtime');
  return k;
}

beforeAll(async () => {
  await prepareWasmBackend();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('native LayerNorm kernels against layer-norm-math.ts', () => {
  // Odd widths exercise the scalar last element; the offset exercises the centring.
  for (const [rows, d] of [[1024, 128], [37, 24], [5, 1], [3, 7], [2, 513]]) {
    it(`forward and backward on ${rows}×${d} agree with the JS loops to 1 float32 ulp`, () => {
      const size = rows * d;
      const x = seededNormal([size], `lnn/x${d}`, 3).map((v) => v + 5);
      const gamma = seededNormal([d], `lnn/g${d}`, 0.5).map((v) => v + 1);
      const beta = seededNormal([d], `lnn/b${d}`);
      const dy = seededNormal([size], `lnn/dy${d}`);
      const eps = 1e-5;
      const js = { y: new Float32Array(size), mean: new Float32Array(rows), rstd: new Float32Array(rows) };
      const nat = { y: new Float32Array(size), mean: new Float32Array(rows), rstd: new Float32Array(rows) };
      layerNormForward(rows, d, x, gamma, beta, eps, js.y, js.mean, js.rstd);
      native().layerNormForward({ rows, d }, x, gamma, beta, eps, nat);
      expect(maxUlps(nat.y, js.y)).toBeLessThanOrEqual(1);
      expect(maxUlps(nat.mean, js.mean)).toBeLessThanOrEqual(1);
      expect(maxUlps(nat.rstd, js.rstd)).toBeLessThanOrEqual(1);

      const jsGrad = { dx: new Float32Array(size), dgamma: new Float32Array(d), dbeta: new Float32Array(d) };
      const natGrad = { dx: new Float32Array(size), dgamma: new Float32Array(d), dbeta: new Float32Array(d) };
      layerNormBackward(rows, d, dy, x, gamma, js.mean, js.rstd, jsGrad.dx, jsGrad.dgamma, jsGrad.dbeta);
      native().layerNormBackward({ rows, d }, { dy, x, gamma, mean: js.mean, rstd: js.rstd }, natGrad);
      // dx = r·(g − mean(g) − x̂·mean(g·x̂)) cancels: compare it relative to the size of its terms.
      expect(closeness(natGrad.dx, jsGrad.dx, 1e-6, 1e-7)).toBeLessThanOrEqual(1);
      expect(maxUlps(natGrad.dgamma, jsGrad.dgamma)).toBeLessThanOrEqual(1);
      expect(maxUlps(natGrad.dbeta, jsGrad.dbeta)).toBeLessThanOrEqual(1);
    });
  }

  it('normalises [1, 2, 3, 4] to (x − 2.5)/√(1.25 + eps) (closed form)', () => {
    const out = { y: new Float32Array(4), mean: new Float32Array(1), rstd: new Float32Array(1) };
    native().layerNormForward({ rows: 1, d: 4 }, Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1, 1, 1), new Float32Array(4), 1e-5, out);
    const s = Math.sqrt(1.25 + 1e-5);
    expect(Array.from(out.y)).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(Math.fround));
    expect(out.mean[0]).toBe(2.5);
    expect(out.rstd[0]).toBe(Math.fround(1 / s));
  });

  it('rejects arrays shorter than the dims', () => {
    const short = new Float32Array(3);
    expect(() =>
      native().layerNormForward({ rows: 2, d: 2 }, short, short, short, 1e-5, { y: short, mean: short, rstd: short }),
    ).toThrow(/layerNormForward: 'x' has 3 floats, expected 4/);
  });
});

describe('fused LayerNorm on wasm runs the native kernels', () => {
  it('calls them forward and backward and matches cpu, leaking nothing', async () => {
    const shape = [4, 6, 20];
    const d = shape[2];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      expect(fusedLayerNormAvailable()).toBe(true);
      const x = tf.tensor(seededNormal(shape, 'lnn/fx'), shape);
      const w = tf.tensor(seededNormal(shape, 'lnn/fw'), shape);
      const g = tf.tensor(seededNormal([d], 'lnn/fg'), [d]);
      const b = tf.tensor(seededNormal([d], 'lnn/fb'), [d]);
      const before = tf.memory().numTensors;
      const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const y = fusedLayerNorm(x, g, b, 1e-5);
      const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(xi, gi, bi, 1e-5), w)))([x, g, b]);
      const out = [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
      tf.dispose([y, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
      tf.dispose([x, w, g, b]);
      return out;
    };
    const forward = vi.spyOn(native(), 'layerNormForward');
    const backward = vi.spyOn(native(), 'layerNormBackward');
    const cpu = await run('cpu');
    expect(forward).not.toHaveBeenCalled();
    const wasm = await run('wasm');
    expect(forward).toHaveBeenCalledTimes(2);
    expect(backward).toHaveBeenCalledTimes(1);
    forward.mockRestore();
    backward.mockRestore();
    for (let i = 0; i < cpu.length; i++) expect(closeness(wasm[i], cpu[i], 1e-5, 1e-6), `output ${i}`).toBeLessThanOrEqual(1);
  });
});
