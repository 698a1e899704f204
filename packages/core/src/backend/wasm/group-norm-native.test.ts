import { describe, expect, it } from 'vitest';
import { groupNormAffine, groupNormBackward, groupNormStats, sigmoidInto, type GroupNormDims } from './group-norm-math.js';
import { nativeKernels } from './native-kernels.js';
import { closeness, seededNormal } from './test-helpers.js';

const native = nativeKernels();

/** Odd shapes: S not a multiple of 4, C not a multiple of 4 (period 2C or 4C), one group per channel, wide C. */
const SHAPES: GroupNormDims[] = [
  { n: 2, s: 15, c: 8, g: 4 },
  { n: 3, s: 7, c: 6, g: 3 },
  { n: 2, s: 9, c: 5, g: 5 },
  { n: 1, s: 13, c: 4, g: 1 },
  { n: 2, s: 33, c: 12, g: 12 },
  { n: 2, s: 21, c: 64, g: 8 },
  { n: 1, s: 5, c: 7, g: 1 },
];

function inputs(d: GroupNormDims, key: string) {
  const size = d.n * d.s * d.c;
  return {
    x: Float32Array.from(seededNormal([size], `${key}/x`), (v) => 1.3 * v + 0.4),
    dy: seededNormal([size], `${key}/dy`),
    gamma: Float32Array.from(seededNormal([d.c], `${key}/g`), (v) => 1 + 0.3 * v),
    beta: seededNormal([d.c], `${key}/b`, 0.5),
  };
}

/** The TS reference (`group-norm-math.ts`, the cpu kernels' code) forward. */
function referenceForward(d: GroupNormDims, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, silu: boolean) {
  const size = d.n * d.s * d.c;
  const mean = new Float32Array(d.n * d.g);
  const rstd = new Float32Array(d.n * d.g);
  const y = new Float32Array(size);
  groupNormStats(d, x, eps, mean, rstd);
  groupNormAffine(d, x, gamma, beta, mean, rstd, y);
  const sig = silu ? new Float32Array(size) : undefined;
  if (sig) {
    sigmoidInto(y, sig);
    for (let i = 0; i < size; i++) y[i] *= sig[i];
  }
  return { y, mean, rstd, sig };
}

function nativeForward(d: GroupNormDims, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, silu: boolean) {
  const size = d.n * d.s * d.c;
  const out = {
    y: new Float32Array(size),
    mean: new Float32Array(d.n * d.g),
    rstd: new Float32Array(d.n * d.g),
    sig: silu ? new Float32Array(size) : undefined,
  };
  native!.groupNormForward(d, x, gamma, beta, eps, out);
  return out;
}

describe.runIf(native)('native GroupNorm kernels', () => {
  for (const silu of [false, true]) {
    for (const d of SHAPES) {
      const label = `[n=${d.n}, s=${d.s}, c=${d.c}, g=${d.g}]${silu ? ' with SiLU' : ''}`;

      it(`forward equals the TS reference within float32 rounding on ${label}`, () => {
        const { x, gamma, beta } = inputs(d, `fwd/${label}`);
        const ref = referenceForward(d, x, gamma, beta, 1e-6, silu);
        const got = nativeForward(d, x, gamma, beta, 1e-6, silu);
        expect(closeness(got.mean, ref.mean, 1e-6, 1e-7)).toBeLessThanOrEqual(1);
        expect(closeness(got.rstd, ref.rstd, 1e-6, 0)).toBeLessThanOrEqual(1);
        expect(closeness(got.y, ref.y, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        if (silu) expect(closeness(got.sig!, ref.sig!, 1e-6, 1e-7)).toBeLessThanOrEqual(1);
      });

      it(`backward equals the TS reference within float32 rounding on ${label}`, () => {
        const { x, dy, gamma, beta } = inputs(d, `bwd/${label}`);
        const fwd = referenceForward(d, x, gamma, beta, 1e-6, silu);
        const saved = { dy, x, gamma, beta, mean: fwd.mean, rstd: fwd.rstd, sig: fwd.sig };
        const size = d.n * d.s * d.c;
        const ref = { dx: new Float32Array(size), dgamma: new Float32Array(d.c), dbeta: new Float32Array(d.c) };
        groupNormBackward(d, dy, x, gamma, beta, fwd.mean, fwd.rstd, fwd.sig, ref.dx, ref.dgamma, ref.dbeta);
        const got = { dx: new Float32Array(size), dgamma: new Float32Array(d.c), dbeta: new Float32Array(d.c) };
        native!.groupNormBackward(d, saved, got);
        expect(closeness(got.dx, ref.dx, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        expect(closeness(got.dgamma, ref.dgamma, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        expect(closeness(got.dbeta, ref.dbeta, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      });
    }
  }

  it('keeps mean and 1/std accurate for inputs far from zero', () => {
    const d = { n: 2, s: 67, c: 6, g: 3 };
    const size = d.n * d.s * d.c;
    const x = Float32Array.from(seededNormal([size], 'native/offset'), (v) => 1000 + 0.01 * v);
    const got = nativeForward(d, x, new Float32Array(d.c).fill(1), new Float32Array(d.c), 1e-6, false);
    for (let b = 0; b < d.n; b++) {
      for (let k = 0; k < d.g; k++) {
        const vals: number[] = [];
        for (let p = 0; p < d.s; p++) for (let ch = 2 * k; ch < 2 * k + 2; ch++) vals.push(x[(b * d.s + p) * d.c + ch]);
        const mu = vals.reduce((t, v) => t + v, 0) / vals.length;
        const variance = vals.reduce((t, v) => t + (v - mu) ** 2, 0) / vals.length;
        expect(got.mean[b * d.g + k]).toBeCloseTo(mu, 3);
        expect(Math.abs(got.rstd[b * d.g + k] * Math.sqrt(variance + 1e-6) - 1)).toBeLessThan(1e-5);
      }
    }
    // The normalised values themselves stay accurate (centred before scaling): compare with float64 x̂.
    const xhatF64 = (i: number) => {
      const b = Math.floor(i / (d.s * d.c));
      const k = Math.floor((i % d.c) / 2);
      const vals: number[] = [];
      for (let p = 0; p < d.s; p++) for (let ch = 2 * k; ch < 2 * k + 2; ch++) vals.push(x[(b * d.s + p) * d.c + ch]);
      const mu = vals.reduce((t, v) => t + v, 0) / vals.length;
      const sd = Math.sqrt(vals.reduce((t, v) => t + (v - mu) ** 2, 0) / vals.length + 1e-6);
      return (x[i] - mu) / sd;
    };
    for (const i of [0, 5, 100, 401, size - 1]) expect(got.y[i]).toBeCloseTo(xhatF64(i), 2);
  });

  it('computes exp within 2 ulp of Math.exp over the float32 range it covers', () => {
    const count = 200_003;
    const x = Float32Array.from({ length: count }, (_, i) => -87.3 + (175.6 * i) / (count - 1));
    const out = new Float32Array(count);
    native!.exp(x, out);
    const bits = new Int32Array(1);
    const f = new Float32Array(bits.buffer);
    const ordinal = (v: number) => ((f[0] = v), bits[0]);
    let worst = 0;
    for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(ordinal(out[i]) - ordinal(Math.exp(x[i]))));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('saturates exp to finite values outside that range so that sigmoid stays exact at the ends, and keeps NaN', () => {
    const x = Float32Array.of(-1000, -104, 89, 1000, -Infinity, Infinity, NaN);
    const out = new Float32Array(x.length);
    native!.exp(x, out);
    for (const v of out.subarray(0, 6)) expect(Number.isFinite(v)).toBe(true);
    expect(out[6]).toBeNaN();
    expect(out[0]).toBeLessThan(2e-38);
    expect(out[3]).toBeGreaterThan(1e38);
    // σ(a) = 1/(1 + e^−a) at |a| = 1000: 1 and (below float32 resolution of anything it multiplies) 0.
    const d = { n: 1, s: 1, c: 4, g: 1 };
    const got = nativeForward(d, Float32Array.of(-1, 1, -1, 1), Float32Array.of(1000, 1000, 1000, 1000), new Float32Array(4), 0, true);
    expect(Array.from(got.sig!, (v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 1, 0, 1]);
    expect(Math.abs(got.y[0])).toBeLessThan(1e-30);
    expect(got.y[1]).toBeCloseTo(1000, 3);
  });

  it('rejects arrays shorter than the dims, and groups that do not divide the channels', () => {
    const d = { n: 2, s: 3, c: 4, g: 2 };
    const ok = new Float32Array(24);
    expect(() =>
      native!.groupNormForward(d, new Float32Array(23), new Float32Array(4), new Float32Array(4), 1e-6, {
        y: ok, mean: new Float32Array(4), rstd: new Float32Array(4),
      }),
    ).toThrow(/groupNormForward: 'x' has 23 floats, expected 24/);
    const saved = { dy: ok, x: ok, gamma: new Float32Array(4), beta: new Float32Array(4), mean: ok, rstd: ok };
    const grads = { dx: ok, dgamma: new Float32Array(4), dbeta: new Float32Array(4) };
    expect(() => native!.groupNormBackward({ ...d, g: 3 }, saved, grads)).toThrow(/groupNormBackward: 3 groups do not divide 4 channels/);
  });
});
