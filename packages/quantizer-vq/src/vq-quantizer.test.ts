import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VectorQuantizer } from './vq-quantizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** A latent `[1,1,n,e]` from rows. */
const latent = (rows: number[][]) => tf.tensor4d(rows.flat(), [1, 1, rows.length, rows[0].length]);

function withCodebook(q: VectorQuantizer, rows: number[][]): VectorQuantizer {
  tf.tidy(() => q.codebook.assign(tf.tensor2d(rows)));
  return q;
}

describe('VectorQuantizer spec and lookup', () => {
  it('declares a discrete latent with one log2(K)-bit token per position', () => {
    const q = new VectorQuantizer({ codebookSize: 16384, codebookDim: 8 });
    expect(q.spec).toEqual({
      channels: 8,
      kind: 'discrete',
      valueRange: null,
      vocabSizes: [16384],
      bitsPerValue: 14,
      valuesPerPosition: 1,
      scale: { kind: 'constant', factor: 1 },
    });
    expect(q.inputChannels).toBe(8);
    expect([...q.namedParameters().keys()]).toEqual(['codebook']);
    expect([...q.namedBuffers().keys()]).toEqual(['cluster_size']);
    q.dispose();
  });

  it('replaces each position by its nearest code and returns its index', () => {
    const q = withCodebook(new VectorQuantizer({ codebookSize: 3, codebookDim: 2 }), [[1, 0], [0, 1], [-1, 0]]);
    const z = latent([[0.9, 0.1], [-1, 0.2], [0.2, 3], [0, 0]]);
    const r = q.quantize(z);
    expect(r.indices?.shape).toEqual([1, 1, 4]);
    // Last row is a three-way tie (distance 1) → lowest index 0.
    expect(Array.from(r.indices!.dataSync())).toEqual([0, 2, 1, 0]);
    expect(r.codes.arraySync()).toEqual([[[[1, 0], [-1, 0], [0, 1], [1, 0]]]]);
    tf.dispose([z, r.codes, r.indices!, r.auxLoss]);
    q.dispose();
  });

  it('in cosine mode searches by angle and returns unit-norm codes', () => {
    // z = [2,0.1]: Euclidean nearest is [2,1] (d 0.81 vs 3.62), cosine nearest is [0.1,0] (2.9° vs 26.6°).
    const q = withCodebook(new VectorQuantizer({ codebookSize: 2, codebookDim: 2, l2Normalize: true }), [
      [0.1, 0],
      [2, 1],
    ]);
    const z = latent([[2, 0.1]]);
    const r = q.quantize(z);
    expect(Array.from(r.indices!.dataSync())).toEqual([0]);
    expect(Array.from(r.codes.dataSync())).toEqual([1, 0]);
    tf.dispose([z, r.codes, r.indices!, r.auxLoss]);
    q.dispose();
  });

  it('round-trips indices → codes → indices', () => {
    const q = new VectorQuantizer({ codebookSize: 64, codebookDim: 3, seed: 5 });
    const idx = tf.tensor3d(Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 7) % 64), [2, 3, 4], 'int32');
    const codes = q.indicesToCodes(idx);
    expect(codes.shape).toEqual([2, 3, 4, 3]);
    const back = q.codesToIndices(codes);
    expect(Array.from(back.dataSync())).toEqual(Array.from(idx.dataSync()));
    tf.dispose([idx, codes, back]);
    q.dispose();
  });

  it('rejects a latent whose channels differ from codebookDim', () => {
    const q = new VectorQuantizer({ codebookSize: 4, codebookDim: 2 });
    const z = tf.zeros([1, 1, 1, 3]) as tf.Tensor4D;
    expect(() => q.quantize(z)).toThrow(/3 channels, expected codebookDim = 2/);
    z.dispose();
    q.dispose();
  });

  it('rejects bad options naming the field', () => {
    expect(() => new VectorQuantizer({ codebookSize: 1 })).toThrow(/"codebookSize" must be an integer ≥ 2/);
    expect(() => new VectorQuantizer({ emaDecay: 1 })).toThrow(/"emaDecay"/);
  });
});

describe('VectorQuantizer losses and gradients', () => {
  // z = [1,2], codebook [[0,0],[1,1],[3,3]]: distances 5, 1, 5 → code 1, z_q = [1,1].
  // Commitment = codebook term = mean([0², 1²]) = 0.5, so both forms have aux = 0.5 + 0.25·0.5 = 0.625.
  // d mean((a−b)²)/da over 2 elements = (a − b): ∂/∂z = z − z_q = [0,1], ∂/∂e_1 = z_q − z = [0,−1].
  // standard (β on commitment): ∂aux/∂z = 0.25·[0,1],  ∂aux/∂e_1 = [0,−1].
  // legacy   (β on codebook):   ∂aux/∂z = [0,1],       ∂aux/∂e_1 = 0.25·[0,−1].
  const cases = [
    { lossForm: 'standard' as const, gradZ: [0, 0.25], gradCode: [0, -1] },
    { lossForm: 'legacy' as const, gradZ: [0, 1], gradCode: [0, -0.25] },
  ];
  for (const backend of ['cpu', 'wasm']) {
    for (const c of cases) {
      it(`computes the ${c.lossForm} loss and its codebook gradient on ${backend}`, async () => {
        await tf.setBackend(backend);
        const q = withCodebook(new VectorQuantizer({ codebookSize: 3, codebookDim: 2, lossForm: c.lossForm }), [
          [0, 0],
          [1, 1],
          [3, 3],
        ]);
        const zVar = tf.variable(latent([[1, 2]]));
        const { value, grads } = tf.variableGrads(() => {
          const r = q.quantize(zVar as unknown as tf.Tensor4D, { training: false });
          tf.dispose([r.codes, r.indices!]);
          return r.auxLoss;
        });
        expect(value.dataSync()[0]).toBeCloseTo(0.625, 6);
        expect(Array.from(grads[zVar.name].dataSync())).toEqual(c.gradZ);
        expect(grads[q.codebook.name].arraySync()).toEqual([[0, 0], c.gradCode, [0, 0]]);
        tf.dispose([value, zVar, ...Object.values(grads)]);
        q.dispose();
        await tf.setBackend('cpu');
      });
    }
  }

  it('passes the gradient of the codes straight through to z (identity)', () => {
    const q = withCodebook(new VectorQuantizer({ codebookSize: 2, codebookDim: 2 }), [[0, 0], [5, 5]]);
    const z = latent([[0.3, -0.2], [4, 6]]);
    const weights = latent([[1, 2], [3, 4]]);
    const grad = tf.grad((x: tf.Tensor) => {
      const r = q.quantize(x as tf.Tensor4D);
      tf.dispose([r.indices!, r.auxLoss]);
      return tf.sum(tf.mul(r.codes, weights));
    })(z);
    expect(grad.arraySync()).toEqual(weights.arraySync());
    tf.dispose([z, weights, grad]);
    q.dispose();
  });

  it('with EMA keeps the codebook out of the parameters and only the commitment term in the loss', () => {
    // z = [1,2] → z_q = [1,1], commitment 0.5: standard → 0.25·0.5, legacy → 1·0.5.
    for (const [lossForm, expected] of [['standard', 0.125], ['legacy', 0.5]] as const) {
      const q = withCodebook(new VectorQuantizer({ codebookSize: 3, codebookDim: 2, ema: true, lossForm }), [
        [0, 0],
        [1, 1],
        [3, 3],
      ]);
      expect(q.namedParameters().size).toBe(0);
      expect([...q.namedBuffers().keys()].sort()).toEqual(['cluster_size', 'codebook', 'embed_sum']);
      const z = latent([[1, 2]]);
      const r = q.quantize(z);
      expect(r.auxLoss.dataSync()[0]).toBeCloseTo(expected, 6);
      tf.dispose([z, r.codes, r.indices!, r.auxLoss]);
      q.dispose();
    }
  });
});

describe('VectorQuantizer EMA update', () => {
  it('matches the closed form with Laplace smoothing after one and two updates', () => {
    // K = 2, e = 2, decay d = 0.5, ε = 0.1 (large so the smoothing is visible). Start: E = [[0,0],[10,10]],
    // counts N = [1,1], sums m = E. Batch [1,0],[0,1],[2,2] → code 0, [10,10] → code 1: n = [3,1],
    // Σz = [[3,3],[10,10]].
    // Update 1: N = 0.5·[1,1] + 0.5·[3,1] = [2,1], m = 0.5·m + 0.5·Σz = [[1.5,1.5],[10,10]], ΣN = 3,
    //   Ñ_k = (N_k + ε)/(ΣN + 2ε)·ΣN = [2.1/3.2·3, 1.1/3.2·3] = [1.96875, 1.03125],
    //   E = m/Ñ = [[0.76190476, ...],[9.6969697, ...]].
    // Update 2 (same batch, same assignments): N = [2.5, 1], m = [[2.25,2.25],[10,10]], ΣN = 3.5,
    //   Ñ = [2.6/3.7·3.5, 1.1/3.7·3.5] = [2.45945946, 1.04054054], E = [[0.91483516, ...],[9.61038961, ...]].
    const q = withCodebook(
      new VectorQuantizer({ codebookSize: 2, codebookDim: 2, ema: true, emaDecay: 0.5, emaEpsilon: 0.1 }),
      [[0, 0], [10, 10]],
    );
    tf.tidy(() => q.namedBuffers().get('embed_sum')!.assign(tf.tensor2d([[0, 0], [10, 10]])));
    const z = latent([[1, 0], [0, 1], [2, 2], [10, 10]]);
    const expected = [
      { n: [2, 1], e0: 1.5 / ((2.1 / 3.2) * 3), e1: 10 / ((1.1 / 3.2) * 3) },
      { n: [2.5, 1], e0: 2.25 / ((2.6 / 3.7) * 3.5), e1: 10 / ((1.1 / 3.7) * 3.5) },
    ];
    for (const step of expected) {
      const r = q.quantize(z, { training: true });
      expect(Array.from(r.indices!.dataSync())).toEqual([0, 0, 0, 1]);
      tf.dispose([r.codes, r.indices!, r.auxLoss]);
      const counts = Array.from(q.namedBuffers().get('cluster_size')!.dataSync());
      counts.forEach((v, i) => expect(v).toBeCloseTo(step.n[i], 5));
      const e = q.codebook.dataSync();
      expect(e[0]).toBeCloseTo(step.e0, 5);
      expect(e[1]).toBeCloseTo(step.e0, 5);
      expect(e[2]).toBeCloseTo(step.e1, 4);
      expect(e[3]).toBeCloseTo(step.e1, 4);
    }
    expect(expected[0].e0).toBeCloseTo(0.76190476, 7);
    expect(expected[1].e1).toBeCloseTo(9.61038961, 7);
    z.dispose();
    q.dispose();
  });
});

describe('VectorQuantizer k-means initialisation', () => {
  it('places the codes on the cluster means of the first training batch', () => {
    // Three separable clusters of four points; their means are (0,0), (10,0) and (0,10).
    const offsets = [[0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]];
    const centres = [[0, 0], [10, 0], [0, 10]];
    const rows = centres.flatMap(([x, y]) => offsets.map(([dx, dy]) => [x + dx, y + dy]));
    const q = new VectorQuantizer({ codebookSize: 3, codebookDim: 2, kmeansInit: true, seed: 1 });
    const z = latent(rows);
    const r = q.quantize(z, { training: true });
    tf.dispose([r.codes, r.indices!, r.auxLoss]);
    const got = (q.codebook.arraySync() as number[][]).map((c) => c.map((v) => Math.round(v * 1e5) / 1e5));
    const sortRows = (a: number[][]) => [...a].sort((p, s) => p[0] - s[0] || p[1] - s[1]);
    expect(sortRows(got)).toEqual(sortRows(centres));
    expect(q.namedBuffers().get('initialized')!.dataSync()[0]).toBe(1);
    // A second training batch does not re-initialise.
    const before = q.codebook.arraySync();
    const z2 = latent([[100, 100]]);
    const r2 = q.quantize(z2, { training: true });
    tf.dispose([r2.codes, r2.indices!, r2.auxLoss, z, z2]);
    expect(q.codebook.arraySync()).toEqual(before);
    q.dispose();
  });
});

describe('VectorQuantizer dead-code restart', () => {
  it('replaces codes whose usage count falls below the threshold by batch vectors', () => {
    // Every vector is nearest to code 0. After one step, unused codes have count 0.99·1 < 1 → restarted;
    // code 0 has 0.99 + 0.01·6 ≥ 1 and is kept.
    const q = withCodebook(new VectorQuantizer({ codebookSize: 4, codebookDim: 2, deadCodeThreshold: 1, seed: 3 }), [
      [0, 0],
      [100, 100],
      [200, 200],
      [300, 300],
    ]);
    const rows = [[1, 1], [1, 2], [2, 1], [2, 2], [1.5, 1], [1, 1.5]];
    const z = latent(rows);
    const r = q.quantize(z, { training: true, collectStats: true });
    expect(r.stats.dead_codes).toBe(0);
    tf.dispose([r.codes, r.indices!, r.auxLoss]);
    const book = q.codebook.arraySync() as number[][];
    expect(book[0]).toEqual([0, 0]);
    for (const code of book.slice(1)) expect(rows).toContainEqual(code);
    const counts = Array.from(q.namedBuffers().get('cluster_size')!.dataSync());
    expect(counts[0]).toBeCloseTo(1.05, 6);
    expect(counts.slice(1)).toEqual([1, 1, 1]);
    z.dispose();
    q.dispose();
  });
});

describe('VectorQuantizer usage statistics', () => {
  it('reports usage, entropy and perplexity over the last usageWindow training assignments', () => {
    const q = withCodebook(new VectorQuantizer({ codebookSize: 4, codebookDim: 1, usageWindow: 6 }), [[0], [1], [2], [3]]);
    const step = (values: number[]) => {
      const z = tf.tensor4d(values, [1, 1, values.length, 1]);
      const r = q.quantize(z, { training: true, collectStats: true });
      tf.dispose([z, r.codes, r.indices!, r.auxLoss]);
      return r.stats;
    };
    step([0, 0, 0, 1]);
    // Window now holds the last 6 of [0,0,0,1, 2,2,3,3] = [0,1,2,2,3,3]: counts [1,1,2,2], all 4 codes used.
    const s = step([2, 2, 3, 3]);
    expect(s.usage_window).toBe(6);
    expect(s.utilization).toBe(1);
        const h = -(2 * (1 / 6) * Math.log2(1 / 6) + 2 * (2 / 6) * Math.log2(2 / 6));
    expect(s.entropy_bits).toBeCloseTo(h, 10);
    expect(s.perplexity).toBeCloseTo(2 ** h, 10);
    expect(s.entropy_norm).toBeCloseTo(h / 2, 10);
    expect(s.batch_utilization).toBe(0.5);
    // Moments of the latent of the last batch [2,2,3,3]: mean 2.5, variance 0.25.
    expect(s.latent_mean).toBeCloseTo(2.5, 6);
    expect(s.latent_var).toBeCloseTo(0.25, 6);
    expect(s.bits_per_value).toBe(2);
    expect(s.codebook_size).toBe(4);
    expect(Array.from(q.windowCounts())).toEqual([1, 1, 2, 2]);
    q.dispose();
  });

  it('in evaluation reports usage of the batch alone and leaves the window untouched', () => {
    const q = withCodebook(new VectorQuantizer({ codebookSize: 4, codebookDim: 1 }), [[0], [1], [2], [3]]);
    const z = tf.tensor4d([0, 1, 1, 1], [1, 1, 4, 1]);
    const r = q.quantize(z, { collectStats: true });
    expect(r.stats.utilization).toBe(0.5);
    expect(r.stats.usage_window).toBe(4);
    expect(Array.from(q.windowCounts())).toEqual([0, 0, 0, 0]);
    tf.dispose([z, r.codes, r.indices!, r.auxLoss]);
    q.dispose();
  });
});
