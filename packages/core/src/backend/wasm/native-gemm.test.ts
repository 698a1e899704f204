import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GemmDims, MAX_GEMM_THREADS, ThreadedGemm } from './native-gemm.js';
import { NATIVE_GEMM_FMA_WASM_BASE64, NATIVE_GEMM_PLAIN_WASM_BASE64 } from './native-gemm.generated.js';
import { foreignHeap, seededNormal, wasmSectionIds } from './test-helpers.js';

/** Products in float64 straight from the definition, reading operands as stored (transposed or not, shared or not). */
function reference(a: Float32Array, b: Float32Array, d: GemmDims): Float64Array {
  const { m, k, n } = d;
  const batch = d.batch ?? 1;
  const offA = (d.batchA ?? batch) === 1 ? 0 : m * k;
  const offB = (d.batchB ?? batch) === 1 ? 0 : k * n;
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = d.aOffsets
            ? a[d.aOffsets.rows[i] + d.aOffsets.cols[q]]
            : d.transposeA
            ? a[p * offA + q * m + i]
            : a[p * offA + i * k + q];
          const bv = d.transposeB ? b[p * offB + j * k + q] : b[p * offB + q * n + j];
          s += av * bv;
        }
        out[p * m * n + i * n + j] = s;
      }
  return out;
}

const cases: Array<[string, GemmDims]> = [
  ['one register tile with ragged edges', { m: 5, k: 3, n: 9 }],
  ['rows split across threads, transposed left operand', { m: 37, k: 300, n: 29, transposeA: true }],
  ['K longer than one K block, transposed right operand', { m: 100, k: 513, n: 70, transposeB: true }],
  ['columns split across threads, both transposed', { m: 7, k: 260, n: 300, transposeA: true, transposeB: true }],
  ['more columns than one column block', { m: 13, k: 17, n: 600 }],
  ['a batch of products split across threads', { batch: 3, m: 20, k: 33, n: 17 }],
  ['a batch sharing its left operand', { batch: 5, batchA: 1, m: 12, k: 40, n: 19, transposeB: true }],
  ['a batch sharing its right operand', { batch: 4, batchB: 1, m: 30, k: 40, n: 19, transposeA: true }],
  // The filter gradient of a 3×3 convolution over a padded 2×9×9×5 input: rows (tap, channel), columns pixels.
  ['the left operand read through offset tables', {
    m: 45, k: 98, n: 7, aOffsets: {
      rows: Int32Array.from({ length: 45 }, (_, i) => (Math.floor(i / 15) * 9 + (Math.floor(i / 5) % 3)) * 5 + (i % 5)),
      cols: Int32Array.from({ length: 98 }, (_, q) => ((Math.floor(q / 49) * 9 + (Math.floor(q / 7) % 7)) * 9 + (q % 7)) * 5),
    },
  }],
];

describe('the GEMM module', () => {
  it.each([
    ['with fused multiply-add', NATIVE_GEMM_FMA_WASM_BASE64],
    ['without', NATIVE_GEMM_PLAIN_WASM_BASE64],
  ])('%s has no data segment and no start function, so it can live inside another module’s memory', (_, base64) => {
    const ids = wasmSectionIds(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    expect(ids).toContain(10); // code
    expect(ids).not.toContain(8); // start
    expect(ids).not.toContain(11); // data
    expect(ids).not.toContain(12); // data count
  });
});

describe('ThreadedGemm', () => {
  const pools: ThreadedGemm[] = [];
  beforeAll(async () => {
    for (const t of [1, 2, 3]) pools.push((await ThreadedGemm.start(t))!);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
  });

  it('starts on the threads asked for, with fused multiply-add on this Node', () => {
    expect(pools.map((p) => p.threads)).toEqual([1, 2, 3]);
    expect(pools.every((p) => p.fma)).toBe(true);
  });

  for (const [name, d] of cases) {
    it(`matches a float64 reference: ${name}`, () => {
      const batch = d.batch ?? 1;
      const a = seededNormal([d.aOffsets ? 2 * 9 * 9 * 5 : (d.batchA ?? batch) * d.m * d.k], `a ${name}`);
      const b = seededNormal([(d.batchB ?? batch) * d.k * d.n], `b ${name}`);
      const expected = reference(a, b, d);
      const results = pools.map((pool) => {
        const out = new Float32Array(batch * d.m * d.n).fill(Number.NaN);
        pool.multiply(a, b, out, d);
        return out;
      });
      // Float32 sums of k products: error grows like √k·ε·Σ|aᵢbᵢ|; the operands are standard normal.
      const tolerance = 4 * Math.sqrt(d.k) * 2 ** -24 * Math.sqrt(d.k) + 1e-6;
      for (let i = 0; i < expected.length; i++) {
        if (!(Math.abs(results[0][i] - expected[i]) <= tolerance)) {
          expect.fail(`element ${i}: ${results[0][i]} vs ${expected[i]} (tolerance ${tolerance})`);
        }
      }
      // Every element is summed in the same order on any number of threads.
      expect(Array.from(results[1])).toEqual(Array.from(results[0]));
      expect(Array.from(results[2])).toEqual(Array.from(results[0]));
    });
  }

  it('writes zeros for an empty inner dimension and nothing for empty products', () => {
    const out = new Float32Array(12).fill(7);
    pools[1].multiply(new Float32Array(0), new Float32Array(0), out, { m: 3, k: 0, n: 4 });
    expect(Array.from(out)).toEqual(new Array(12).fill(0));
    pools[1].multiply(new Float32Array(0), new Float32Array(6), new Float32Array(0), { m: 0, k: 3, n: 2 });
  });

  it('names the operand that is too short and the expected size', () => {
    expect(() => pools[0].multiply(new Float32Array(5), new Float32Array(6), new Float32Array(4), { m: 2, k: 3, n: 2 })).toThrow(
      /'a' has 5 floats, expected 6 for 1×\[2×3\]·\[3×2\]/,
    );
    expect(() =>
      pools[0].multiply(new Float32Array(12), new Float32Array(12), new Float32Array(8), { batch: 2, batchA: 3, m: 2, k: 3, n: 2 }),
    ).toThrow(/batchA is 3, expected 1 or 2/);
  });

  it('checks offset tables against the operand', () => {
    const rows = Int32Array.of(0, 4);
    const cols = Int32Array.of(0, 1, 2);
    expect(() => pools[0].multiply(new Float32Array(6), new Float32Array(6), new Float32Array(4), { m: 2, k: 3, n: 2, aOffsets: { rows, cols } })).toThrow(
      /'a' has 6 floats, expected 7/,
    );
    expect(() => pools[0].multiply(new Float32Array(9), new Float32Array(6), new Float32Array(4), { m: 2, k: 2, n: 2, aOffsets: { rows, cols } })).toThrow(
      /offset tables have 2 rows and 3 columns, expected 2 and 2/,
    );
  });

  it('rejects thread counts outside 1…8', async () => {
    await expect(ThreadedGemm.start(0)).rejects.toThrow(/from 1 to 8, got 0/);
    await expect(ThreadedGemm.start(MAX_GEMM_THREADS + 1)).rejects.toThrow(/got 9/);
  });

  it('runs inside another memory on views of it in place, touching only its operands and what malloc gave it', async () => {
    const heap = foreignHeap(256, 4 << 20);
    const { memory } = heap;
    const pool = (await ThreadedGemm.start(2, heap))!;
    expect(pool.runsIn(memory)).toBe(true);
    const d: GemmDims = { m: 40, k: 70, n: 60, transposeA: true };
    const [pa, pb, pc] = [1 << 20, 2 << 20, 3 << 20];
    const a = seededNormal([d.m * d.k], 'heap a');
    const b = seededNormal([d.k * d.n], 'heap b');
    const [va, vb, vc] = [[pa, a.length], [pb, b.length], [pc, d.m * d.n]].map(([at, n]) => new Float32Array(memory.buffer, at, n));
    va.set(a);
    vb.set(b);
    const blocks = heap.given.length;
    pool.multiply(va, vb, vc, d);
    expect(heap.given.length).toBe(blocks); // no scratch taken: nothing was copied
    const copied = new Float32Array(d.m * d.n);
    pools[0].multiply(a, b, copied, d);
    expect(Array.from(vc)).toEqual(Array.from(copied));
    heap.expectUntouchedExcept([[pc, d.m * d.n * 4], [pa, a.length * 4], [pb, b.length * 4]]);
    // An ordinary array for the result is written from scratch the GEMM takes from malloc.
    const elsewhere = new Float32Array(d.m * d.n);
    pool.multiply(va, vb, elsewhere, d);
    expect(Array.from(elsewhere)).toEqual(Array.from(copied));
    heap.expectUntouchedExcept([[pc, d.m * d.n * 4], [pa, a.length * 4], [pb, b.length * 4]]);
    await pool.dispose();
  });

  it('refuses work once disposed', async () => {
    const pool = (await ThreadedGemm.start(2))!;
    await pool.dispose();
    expect(() => pool.multiply(new Float32Array(1), new Float32Array(1), new Float32Array(1), { m: 1, k: 1, n: 1 })).toThrow(/disposed/);
  });
});
