import { describe, expect, it } from 'vitest';
import { nativeKernels } from './native-kernels.js';

describe('embedded WASM SIMD kernels', () => {
  it('load in Node and compute batched products with every transpose combination', () => {
    const k = nativeKernels();
    expect(k).toBeDefined();
    // Two 5×3 · 3×9 products (M=5 exercises the 4-row block plus a tail row, N=9 the 8-column block plus a tail).
    const M = 5;
    const K = 3;
    const N = 9;
    const a = Float32Array.from({ length: 2 * M * K }, (_, i) => ((i * 7) % 11) - 5);
    const b = Float32Array.from({ length: 2 * K * N }, (_, i) => ((i * 5) % 13) - 6);
    const expected = new Float32Array(2 * M * N);
    for (let p = 0; p < 2; p++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) s += a[p * M * K + i * K + q] * b[p * K * N + q * N + j];
          expected[p * M * N + i * N + j] = s;
        }
    const transpose = (x: Float32Array, rows: number, cols: number) => {
      const out = new Float32Array(x.length);
      for (let p = 0; p < x.length / (rows * cols); p++)
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[p * rows * cols + c * rows + r] = x[p * rows * cols + r * cols + c];
      return out;
    };
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const out = new Float32Array(2 * M * N);
        k!.batchMatMul(transposeA ? transpose(a, M, K) : a, transposeB ? transpose(b, K, N) : b, out, {
          batch: 2, batchA: 2, batchB: 2, m: M, k: K, n: N, transposeA, transposeB,
        });
        expect(Array.from(out)).toEqual(Array.from(expected)); // small integers: exact in float32
      }
    }
  });
});
