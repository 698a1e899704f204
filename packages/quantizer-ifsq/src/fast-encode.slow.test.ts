/** The threshold fast path gives exactly the indices of the reference op path (cpu backend). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FsqOptions, resolveFsqConfig } from './config.js';
import { encodeIndices } from './fast-encode.js';
import { codesOp, referenceIndicesOp } from './ops.js';
import { exactBinEdges, scalarReference } from './reference.js';
import { SeededRng } from '@ifsq/core';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Seeded N(0,1) stream for tests. */
function seededNormal(seed: number): () => number {
  const rng = new SeededRng(seed);
  return () => rng.normal();
}

/** Standard normal CDF via erfc (Numerical Recipes rational fit, |rel err| < 1.2e-7). */
function phi(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
    t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? 1 - 0.5 * r : 0.5 * r;
}

/** Next/previous float32 neighbours of x. */
function neighbours(x: number, steps: number): number[] {
  const f = new Float32Array([x]);
  const u = new Int32Array(f.buffer);
  const out: number[] = [];
  const base = u[0];
  for (let s = -steps; s <= steps; s++) {
    u[0] = x >= 0 ? base + s : base - s;
    out.push(f[0]);
  }
  return out;
}

/** 1M-ish values: seeded N(0, 2²) samples, every bin edge ±3 ulps, exact ties of the scaled value, specials. */
function probeValues(options: FsqOptions, count: number): Float32Array {
  const cfg = resolveFsqConfig(options);
  const d = cfg.levels.length;
  const normal = seededNormal(cfg.levels.reduce((a, b) => a * 31 + b, 7));
  const special: number[] = [0, -0, 1e-30, -1e-30, 50, -50, 1e6, -1e6, Infinity, -Infinity, 3.4e38, -3.4e38];
  for (const edges of exactBinEdges(cfg)) for (const t of edges) special.push(...neighbours(t, 3));
  const n = Math.ceil((count + special.length) / d) * d;
  const z = new Float32Array(n);
  z.set(special);
  for (let i = special.length; i < n; i++) z[i] = 2 * normal();
  return z;
}

describe('exact threshold fast path', () => {
  it.each<FsqOptions>([
    { levels: [17, 17, 17, 17] },
    { levels: [9, 5, 3, 65] },
    { levels: [9, 9, 9, 9], alpha: 2, indexOrder: 'big' },
    { levels: [8, 5, 5, 5], bound: 'tanh' },
    { levels: [8, 6, 7, 4], bound: 'tanh', groups: [2, 2] },
    { levels: [257, 257], groups: [1, 1] },
  ])('matches the op path index for index on 1M values with every edge search (%j)', (options) => {
    const cfg = resolveFsqConfig(options);
    const d = cfg.levels.length;
    const z = probeValues(options, 1_000_000);
    const zt = tf.tensor2d(z, [z.length / d, d]);
    const ref = referenceIndicesOp(zt, cfg);
    const want = ref.dataSync();
    for (const search of ['auto', 'unrolled', 'bucket', 'bisect'] as const) {
      const got = encodeIndices(z, cfg, { search }).indices;
      expect(got.length).toBe(want.length);
      let mismatches = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) mismatches++;
      expect(mismatches, `search ${search}`).toBe(0);
    }
    const op = codesOp(zt, cfg);
    const wantCodes = op.codes.dataSync();
    const gotCodes = encodeIndices(z, cfg, { codes: true }).codes as Float32Array;
    let codeMismatches = 0;
    for (let i = 0; i < gotCodes.length; i++) if (!Object.is(gotCodes[i] + 0, wantCodes[i] + 0)) codeMismatches++;
    expect(codeMismatches).toBe(0);
    tf.dispose([zt, ref, op.codes, op.rounded]);
  });

  it('puts each edge exactly where the scalar reference digit steps up', () => {
    const cfg = resolveFsqConfig({ levels: [9] });
    const ref = scalarReference(cfg);
    const edges = exactBinEdges(cfg)[0];
    edges.forEach((t, k) => {
      const below = neighbours(t, 1)[0];
      expect(ref.digit(t, 0)).toBeGreaterThanOrEqual(k + 1);
      expect(ref.digit(below, 0)).toBeLessThan(k + 1);
    });
    // iFSQ edges of L = 9 in z-space are ±0.15707, ±0.49279, ±0.91646, ±1.69253 (spec §11.3).
    expect(Array.from(edges.slice(4))).toEqual(
      [0.15707, 0.49279, 0.91646, 1.69253].map((x) => expect.closeTo(x, 4) as unknown as number),
    );
  });

  it.each([
    { name: 'the exact FSQ tanh bound (eps = 1e-3)', options: { levels: [9], bound: 'tanh' as const }, p: [0.08846, 0.14358, 0.11483, 0.10318, 0.0999], H: 3.14838 },
    { name: 'the iFSQ bound', options: { levels: [9] }, p: [0.04527, 0.13444, 0.13137, 0.12651, 0.12481], H: 3.08147 },
  ])('gives the §11.3 N(0,1) bin masses and entropy of $name from its z-space edges', ({ options, p, H }) => {
    const e = [-Infinity, ...exactBinEdges(resolveFsqConfig(options))[0], Infinity];
    const mass = e.slice(1).map((hi, k) => phi(hi) - phi(e[k]));
    mass.slice(0, 5).forEach((m, k) => expect(m, `bin ${k}`).toBeCloseTo(p[k], 5));
    const h = -mass.reduce((acc, m) => acc + m * Math.log2(m), 0);
    expect(h).toBeCloseTo(H, 4);
  });
});
