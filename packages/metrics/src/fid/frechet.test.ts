import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frechetDistance, frechetDistanceDetailed, fidFromFeatures } from './frechet.js';
import { GaussianStatsAccumulator, gaussianStats } from './gaussian-stats.js';
import { loadReferenceStats, saveReferenceStats } from './reference-stats.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomFeatures(n: number, d: number, seed: number, shift = 0): number[][] {
  const r = lcg(seed);
  const mix = Array.from({ length: d }, () => Array.from({ length: d }, () => r()));
  return Array.from({ length: n }, () => {
    const z = Array.from({ length: d }, () => r());
    return mix.map((row) => row.reduce((s, m, k) => s + m * z[k], shift));
  });
}

const S1 = [[2, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 0.5]];
const S2 = [[1, -0.3, 0.1], [-0.3, 2, 0], [0.1, 0, 1.5]];

describe('frechetDistance (spec §11.6)', () => {
  for (const method of ['eigen', 'cholesky'] as const) {
    it(`gives exactly 7 for the diagonal case (${method})`, () => {
      expect(frechetDistance([0, 0], [[1, 0], [0, 1]], [1, 1], [[4, 0], [0, 9]], { method })).toBeCloseTo(7, 12);
    });
    it(`gives 3.147417301 for the full 3×3 case (${method})`, () => {
      expect(frechetDistance([0, 0, 0], S1, [1, -1, 0.5], S2, { method })).toBeCloseTo(3.147417301, 9);
    });
    it(`gives 0 for identical Gaussians (${method})`, () => {
      expect(Math.abs(frechetDistance([1, 2, 3], S1, [1, 2, 3], S1, { method }))).toBeLessThan(1e-12);
    });
  }

  it('gives 4.583333 from the four-point feature sets', () => {
    const x = [[0, 0], [1, 0], [0, 1], [1, 1]];
    const y = [[2, 0], [3, 0], [2, 2], [3, 2]];
    expect(fidFromFeatures(x, y)).toBeCloseTo(4.583333333, 8);
  });

  it('agrees between the eigen and Cholesky routes on random rank-deficient covariances', () => {
    // 30 samples in 40 dimensions: both covariances are singular.
    const a = gaussianStats(randomFeatures(30, 40, 1));
    const b = gaussianStats(randomFeatures(30, 40, 2, 0.3));
    const e = frechetDistanceDetailed(a.mu, a.sigma, b.mu, b.sigma, { method: 'eigen' });
    const c = frechetDistanceDetailed(a.mu, a.sigma, b.mu, b.sigma, { method: 'cholesky' });
    expect(c.fid).toBeGreaterThan(0);
    expect(Math.abs(e.fid - c.fid) / e.fid).toBeLessThan(1e-6);
  });

  it('agrees between the routes to 1e-9 on full-rank covariances', () => {
    const a = gaussianStats(randomFeatures(200, 25, 3));
    const b = gaussianStats(randomFeatures(200, 25, 4, 0.1));
    const e = frechetDistance(a.mu, a.sigma, b.mu, b.sigma, { method: 'eigen' });
    const c = frechetDistance(a.mu, a.sigma, b.mu, b.sigma, { method: 'cholesky' });
    expect(Math.abs(e - c)).toBeLessThan(1e-9 * Math.max(1, e));
  });

  it('rejects non-finite covariance entries naming the matrix and entry', () => {
    expect(() => frechetDistance([0], [[Number.NaN]], [0], [[1]])).toThrow(/sigma1: entry \(0, 0\) is not finite/);
  });

  it('rejects covariances of the wrong size with a clear message', () => {
    expect(() => frechetDistance([0, 0], [[1, 0]], [0, 0], [[1, 0], [0, 1]])).toThrow(/sigma1: expected 2 rows/);
  });
});

describe('GaussianStatsAccumulator', () => {
  it('streaming over 10 batches equals the statistics and FID of the concatenated features', () => {
    const a = randomFeatures(300, 12, 5);
    const b = randomFeatures(300, 12, 6, 0.2);
    const acc = new GaussianStatsAccumulator();
    for (let i = 0; i < 10; i++) acc.update(a.slice(i * 30, (i + 1) * 30));
    const streamed = acc.stats();
    const whole = gaussianStats(a);
    for (let i = 0; i < whole.sigma.length; i++) expect(streamed.sigma[i]).toBeCloseTo(whole.sigma[i], 12);
    const sb = gaussianStats(b);
    expect(frechetDistance(streamed.mu, streamed.sigma, sb.mu, sb.sigma)).toBeCloseTo(fidFromFeatures(a, b), 10);
  });

  it('merges JSON-serialised shard states to the same statistics', () => {
    const a = randomFeatures(100, 5, 7);
    const s1 = new GaussianStatsAccumulator();
    const s2 = new GaussianStatsAccumulator();
    s1.update(a.slice(0, 37));
    s2.update(a.slice(37));
    const merged = new GaussianStatsAccumulator();
    merged.merge(JSON.parse(JSON.stringify(s1.state())));
    merged.merge(JSON.parse(JSON.stringify(s2.state())));
    const whole = gaussianStats(a);
    const m = merged.stats();
    expect(m.n).toBe(100);
    for (let i = 0; i < 25; i++) expect(m.sigma[i]).toBeCloseTo(whole.sigma[i], 12);
  });

  it('computes the unbiased covariance of the spec example', () => {
    const s = gaussianStats([[2, 0], [3, 0], [2, 2], [3, 2]]);
    expect(Array.from(s.mu)).toEqual([2.5, 1]);
    expect(s.sigma[0]).toBeCloseTo(1 / 3, 14);
    expect(s.sigma[3]).toBeCloseTo(4 / 3, 14);
    expect(s.sigma[1]).toBeCloseTo(0, 14);
  });
});

describe('reference statistics files', () => {
  it('round-trip exactly with a verified hash and provenance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fidstats-'));
    const s = gaussianStats(randomFeatures(20, 4, 8));
    const saved = await saveReferenceStats(join(dir, 'ref.json'), { ...s, provenance: { extractor: 'x' } });
    const loaded = await loadReferenceStats(join(dir, 'ref.json'));
    expect(loaded.sha256).toBe(saved.sha256);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Array.from(loaded.sigma)).toEqual(Array.from(s.sigma));
    expect(loaded.provenance).toEqual({ extractor: 'x' });
  });
});
