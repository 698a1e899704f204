import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '@ifsq/core';
import {
  RunningMoments,
  bitsPerValue,
  channelMoments,
  compressionRatio,
  digitHistograms,
  entropyBits,
  histogram,
  ksUniform,
  ksUniformRmse,
  normalizedEntropy,
  occupancy,
  perDimensionOccupancy,
  perplexity,
  sparseHistogram,
  utilization,
} from './index.js';

/** Seeded N(0,1) stream for tests. */
function seededNormal(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.normal();
}

/** Standard normal CDF via erfc (W. J. Cody-style rational fit from Numerical Recipes, |rel err| < 1.2e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * r : 0.5 * r;
}

/** Closed-form N(0,1) mass of each of the L bins of the paper bound 2σ(αx)−1 with scale (L−1)/2 (spec §11.3). */
function binMasses(levels: number, alpha: number): number[] {
  const h = (levels - 1) / 2;
  const toX = (y: number): number => {
    if (y <= -1) return -Infinity;
    if (y >= 1) return Infinity;
    const p = (y + 1) / 2;
    return Math.log(p / (1 - p)) / alpha;
  };
  const cdf = (x: number): number => (x === -Infinity ? 0 : x === Infinity ? 1 : phi(x));
  return Array.from({ length: levels }, (_, k) => cdf(toX((k - h + 0.5) / h)) - cdf(toX((k - h - 0.5) / h)));
}

describe('histograms and utilization', () => {
  it('counts symbols and reports the fraction of used ones', () => {
    const c = histogram(Int32Array.from([0, 2, 2, 3, 3, 3]), 5);
    expect(Array.from(c)).toEqual([1, 0, 2, 3, 0]);
    expect(utilization(c)).toBeCloseTo(3 / 5, 12);
    expect(utilization(sparseHistogram([7, 7, 1000]), 83521)).toBeCloseTo(2 / 83521, 15);
  });

  it('rejects symbols outside the alphabet with the offending position', () => {
    expect(() => histogram([0, 5], 5)).toThrow(/symbol 5 at position 1/);
  });

  it('builds one histogram per dimension from channels-last digits', () => {
    const h = digitHistograms(Int32Array.from([0, 1, 2, 1, 2, 1]), [3, 2]);
    expect(Array.from(h[0])).toEqual([1, 0, 2]);
    expect(Array.from(h[1])).toEqual([0, 3]);
    const occ = perDimensionOccupancy(Int32Array.from([0, 1, 2, 1, 2, 1]), [3, 2]);
    expect(occ[1].utilization).toBe(0.5);
    expect(occ[1].entropyBits).toBe(0);
  });
});

describe('entropy and perplexity', () => {
  it('gives log2 K bits and perplexity K for a uniform distribution', () => {
    expect(entropyBits(new Float64Array(8).fill(3))).toBeCloseTo(3, 12);
    expect(perplexity(new Float64Array(8).fill(3))).toBeCloseTo(8, 10);
    expect(normalizedEntropy([1, 1, 0, 0])).toBeCloseTo(0.5, 12);
  });

  // Spec §11.3 (a): closed-form N(0,1) bin masses of L = 9 under the paper's rounding.
  it.each([
    { name: 'tanh (α = 2)', alpha: 2, p0: 0.08786, h: 3.14779, hn: 0.99302, ppl: 8.863 },
    { name: 'iFSQ (α = 1.6)', alpha: 1.6, p0: 0.04527, h: 3.08147, hn: 0.9721, ppl: 8.4648 },
    { name: 'α = 1.702', alpha: 1.702, p0: 0.05579, h: 3.10771, hn: 0.98037, ppl: 8.6201 },
  ])('reproduces the §11.3 entropy of $name', ({ alpha, p0, h, hn, ppl }) => {
    const p = binMasses(9, alpha);
    expect(p[0]).toBeCloseTo(p0, 5);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const o = occupancy(p);
    expect(o.entropyBits).toBeCloseTo(h, 4);
    expect(o.normalizedEntropy).toBeCloseTo(hn, 4);
    expect(o.perplexity).toBeCloseTo(ppl, 3);
    expect(o.utilization).toBe(1);
  });

  it('gives 3.125 bits for the half-width edge bins of a perfectly uniform y (L = 9)', () => {
    const p = [0.5, 1, 1, 1, 1, 1, 1, 1, 0.5];
    expect(entropyBits(p)).toBeCloseTo(3.125, 10);
    expect(normalizedEntropy(p)).toBeCloseTo(0.98583, 5);
    expect(perplexity(p)).toBeCloseTo(8.7241, 4);
  });

  it('reproduces the §11.3 entropies for L = 5 and L = 17', () => {
    expect(entropyBits(binMasses(5, 2))).toBeCloseTo(2.3048, 3);
    expect(entropyBits(binMasses(5, 1.6))).toBeCloseTo(2.2209, 3);
    expect(entropyBits(binMasses(17, 2))).toBeCloseTo(4.0567, 3);
    expect(entropyBits(binMasses(17, 1.6))).toBeCloseTo(4.0172, 3);
  });
});

describe('KS statistic against Uniform(-1,1)', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/ks_fixture.json', import.meta.url), 'utf8')) as Array<{
    values: number[];
    low: number;
    high: number;
    ks: number;
  }>;

  it.each(fixture.map((c, i) => ({ ...c, i })))('matches scipy kstest on fixture case $i', ({ values, low, high, ks }) => {
    expect(ksUniform(values, { low, high })).toBeCloseTo(ks, 12);
  });

  it('lands within ±0.002 of the analytic §11.4 values for 500k seeded N(0,1) samples', () => {
    const normal = seededNormal(20260117);
    const n = 500_000;
    const ifsq = new Float64Array(n);
    const tanh = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = normal();
      ifsq[i] = 2 / (1 + Math.exp(-1.6 * z)) - 1;
      tanh[i] = Math.tanh(z);
    }
    expect(Math.abs(ksUniform(ifsq) - 0.01727)).toBeLessThan(0.002);
    expect(Math.abs(ksUniform(tanh) - 0.04423)).toBeLessThan(0.002);
    expect(Math.abs(ksUniformRmse(ifsq) - 0.00859)).toBeLessThan(0.001);
    expect(Math.abs(ksUniformRmse(tanh) - 0.03128)).toBeLessThan(0.001);
  });

  it('has an RMSE of 1/n-scale for an evenly spread sample and rejects empty input', () => {
    const n = 1000;
    const even = Float64Array.from({ length: n }, (_, i) => -1 + (2 * (i + 1)) / n);
    expect(ksUniformRmse(even)).toBeLessThan(1e-12);
    expect(ksUniform(even)).toBeCloseTo(1 / n, 12);
    expect(() => ksUniform([])).toThrow(/empty/);
  });
});

describe('bits and compression ratio', () => {
  const base = { height: 256, width: 256 };
  it.each([
    { name: 'AE f8 d4 @16 bit', h: 32, d: 4, b: 16, cr: 24 },
    { name: 'iFSQ f8 d4 @4 bit', h: 32, d: 4, b: 4, cr: 96 },
    { name: 'iFSQ f8 d4 @2 bit', h: 32, d: 4, b: 2, cr: 192 },
    { name: 'iFSQ f8 d4 @8 bit', h: 32, d: 4, b: 8, cr: 48 },
    { name: 'official f16 d4 L = 17', h: 16, d: 4, b: bitsPerValue([17, 17, 17, 17]), cr: 375.8 },
    { name: 'VQ-16 f16 14 bit/token', h: 16, d: 1, b: 14, cr: 438.9 },
  ])('gives the §11.12 ratio for $name', ({ h, d, b, cr }) => {
    const r = compressionRatio({ ...base, latentHeight: h, latentWidth: h, valuesPerPosition: d, bitsPerValue: b });
    expect(r).toBeCloseTo(cr, 1);
  });

  it('gives log2(17) = 4.0875 bits per value for L = 17', () => {
    expect(bitsPerValue([17, 17, 17, 17])).toBeCloseTo(4.0875, 4);
    expect(bitsPerValue([8, 5, 5, 5])).toBeCloseTo((3 + 3 * Math.log2(5)) / 4, 12);
  });
});

describe('running moments', () => {
  it('folds batches with momentum 0.1 and biased variance, starting at mean 0 and variance 1', () => {
    const rm = new RunningMoments(2);
    const batch = [1, 10, 3, 10];
    rm.update(batch);
    expect(Array.from(rm.mean)).toEqual([0.9 * 0 + 0.1 * 2, 0.1 * 10]);
    expect(rm.variance[0]).toBeCloseTo(0.9 + 0.1 * 1, 12);
    expect(rm.variance[1]).toBeCloseTo(0.9, 12);
    expect(channelMoments(batch, 2).variance[0]).toBe(1);
    expect(() => channelMoments([1, 2, 3], 2)).toThrow(/rows of 2/);
  });
});
