import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroupNorm } from '../../nn/norm.js';
import { fusedGroupNormAvailable, GROUP_NORM_KERNEL, setGroupNormFusion } from './group-norm.js';
import { groupNormStats } from './group-norm-math.js';
import { prepareWasmBackend } from './index.js';
import { closeness, seededNormal } from './test-helpers.js';

const SHAPE: [number, number, number, number] = [2, 3, 5, 8];
const GROUPS = 4;
const EPS = 1e-6;

beforeAll(async () => {
  await prepareWasmBackend();
});

afterEach(() => setGroupNormFusion(true));

/** A GroupNorm with non-trivial affine parameters, the input, and a weighting that makes the loss non-symmetric. */
function fixture(key: string) {
  const x = tf.tensor4d(seededNormal(SHAPE, `${key}/x`), SHAPE).mul(1.5).add(0.7) as tf.Tensor4D;
  const w = tf.tensor4d(seededNormal(SHAPE, `${key}/w`), SHAPE);
  const norm = new GroupNorm({ numGroups: GROUPS, numChannels: SHAPE[3], eps: EPS });
  norm.weight!.assign(tf.tensor1d(seededNormal([SHAPE[3]], `${key}/g`)).add(1));
  norm.bias!.assign(tf.tensor1d(seededNormal([SHAPE[3]], `${key}/b`)));
  return { x, w, norm, dispose: () => (tf.dispose([x, w]), norm.dispose()) };
}

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** Output and gradients of `Σ w·f(x)` for the fused or the op-graph path. */
function run(f: ReturnType<typeof fixture>, silu: boolean, fused: boolean): Result {
  setGroupNormFusion(fused);
  const apply = (x: tf.Tensor4D) => (silu ? f.norm.forwardSilu(x) : f.norm.forward(x));
  const y = tf.tidy(() => apply(f.x));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(f.x), f.w)) as tf.Scalar, [f.norm.weight!, f.norm.bias!]);
  const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(apply(x as tf.Tensor4D), f.w)))(f.x);
  const out: Result = {
    y: y.dataSync() as Float32Array,
    dx: dx.dataSync() as Float32Array,
    dgamma: grads[f.norm.weight!.name].dataSync() as Float32Array,
    dbeta: grads[f.norm.bias!.name].dataSync() as Float32Array,
  };
  tf.dispose([y, dx, value, ...Object.values(grads)]);
  return out;
}

/** Float64 reference of `Σ w·f(x)` in plain JavaScript (independent of both tfjs paths), for finite differences. */
function lossF64(x: Float64Array, gamma: ArrayLike<number>, beta: ArrayLike<number>, w: ArrayLike<number>, silu: boolean): number {
  const [n, h, wd, c] = SHAPE;
  const s = h * wd;
  const cg = c / GROUPS;
  let loss = 0;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < GROUPS; k++) {
      const idx: number[] = [];
      for (let p = 0; p < s; p++) for (let ch = k * cg; ch < (k + 1) * cg; ch++) idx.push((b * s + p) * c + ch);
      const mu = idx.reduce((t, i) => t + x[i], 0) / idx.length;
      const v = idx.reduce((t, i) => t + (x[i] - mu) ** 2, 0) / idx.length;
      for (const i of idx) {
        const a = ((x[i] - mu) / Math.sqrt(v + EPS)) * gamma[i % c] + beta[i % c];
        loss += w[i] * (silu ? a / (1 + Math.exp(-a)) : a);
      }
    }
  }
  return loss;
}

describe.each(['cpu', 'wasm'])('fused GroupNorm on %s', (backend) => {
  it('is the path GroupNorm takes on this backend', async () => {
    await tf.setBackend(backend);
    expect(fusedGroupNormAvailable()).toBe(true);
    const f = fixture('path');
    const p = await tf.profile(() => f.norm.forwardSilu(f.x));
    // The customGrad wrapper shows up as an unnamed entry.
    expect(p.kernels.map((k) => k.name).filter((name) => name !== '')).toEqual([GROUP_NORM_KERNEL]);
    tf.dispose(p.result as tf.Tensor);
    f.dispose();
  });

  for (const silu of [false, true]) {
    it(`matches the op-graph GroupNorm${silu ? '+SiLU' : ''} in value and in x, gamma and beta gradients`, async () => {
      await tf.setBackend(backend);
      const f = fixture(`match/${silu}`);
      const ref = run(f, silu, false);
      const before = tf.memory().numTensors;
      const dataIdsBefore = tf.backend().numDataIds();
      const got = run(f, silu, true);
      expect(tf.memory().numTensors).toBe(before);
      // Also no backend buffers left behind (the wasm kernels free their sigmoid intermediates).
      expect(tf.backend().numDataIds()).toBe(dataIdsBefore);
      for (const k of ['y', 'dx', 'dgamma', 'dbeta'] as const) {
        expect(closeness(got[k], ref[k], 1e-5, 2e-5), k).toBeLessThanOrEqual(1);
      }
      f.dispose();
    });
  }

  it('agrees with central finite differences of a float64 reference', async () => {
    await tf.setBackend(backend);
    const f = fixture('fd');
    const got = run(f, true, true);
    const x = Float64Array.from(f.x.dataSync());
    const gamma = Float64Array.from(f.norm.weight!.dataSync());
    const beta = Float64Array.from(f.norm.bias!.dataSync());
    const w = f.w.dataSync();
    const h = 1e-6;
    const fd = (vec: Float64Array, i: number) => {
      const keep = vec[i];
      vec[i] = keep + h;
      const up = lossF64(x, gamma, beta, w, true);
      vec[i] = keep - h;
      const down = lossF64(x, gamma, beta, w, true);
      vec[i] = keep;
      return (up - down) / (2 * h);
    };
    for (const i of [0, 7, 41, 119, 239]) expect(got.dx[i]).toBeCloseTo(fd(x, i), 3);
    for (const i of [0, 3, 7]) {
      expect(got.dgamma[i]).toBeCloseTo(fd(gamma, i), 3);
      expect(got.dbeta[i]).toBeCloseTo(fd(beta, i), 3);
    }
    f.dispose();
  });
});

describe('GroupNorm fusion switch', () => {
  it('uses the op graph when fusion is off', async () => {
    await tf.setBackend('cpu');
    setGroupNormFusion(false);
    expect(fusedGroupNormAvailable()).toBe(false);
    const f = fixture('off');
    const p = await tf.profile(() => f.norm.forwardSilu(f.x));
    expect(p.kernels.map((k) => k.name)).not.toContain(GROUP_NORM_KERNEL);
    tf.dispose(p.result as tf.Tensor);
    f.dispose();
  });
});

describe('groupNormStats', () => {
  it('keeps mean and 1/std accurate for inputs far from zero (float64 sums)', () => {
    const dims = { n: 2, s: 64, c: 6, g: 3 };
    const size = dims.n * dims.s * dims.c;
    const noise = seededNormal([size], 'stats/offset');
    const x = Float32Array.from(noise, (v) => 1000 + 0.01 * v);
    const mean = new Float32Array(dims.n * dims.g);
    const rstd = new Float32Array(dims.n * dims.g);
    groupNormStats(dims, x, 1e-6, mean, rstd);
    for (let b = 0; b < dims.n; b++) {
      for (let k = 0; k < dims.g; k++) {
        const vals: number[] = [];
        for (let p = 0; p < dims.s; p++) for (let ch = 2 * k; ch < 2 * k + 2; ch++) vals.push(x[(b * dims.s + p) * dims.c + ch]);
        const mu = vals.reduce((t, v) => t + v, 0) / vals.length;
        const variance = vals.reduce((t, v) => t + (v - mu) ** 2, 0) / vals.length;
        expect(mean[b * dims.g + k]).toBeCloseTo(mu, 3);
        expect(Math.abs(rstd[b * dims.g + k] * Math.sqrt(variance + 1e-6) - 1)).toBeLessThan(1e-4);
      }
    }
  });
});
