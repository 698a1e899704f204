import { describe, expect, it } from 'vitest';
import { NativeKernels, nativeKernels } from './native-kernels.js';
import { foreignHeap, wasmSectionIds } from './test-helpers.js';
import { NATIVE_KERNELS_WASM_BASE64 } from './native-kernels.generated.js';

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

describe('embedded WASM SIMD kernels inside another memory', () => {
  it('use views of that memory in place, copy other arrays, and touch nothing but operands and malloc’d blocks', () => {
    const heap = foreignHeap(64, 1 << 20);
    const { memory } = heap;
    const k = NativeKernels.inHeap(heap)!;
    expect(k.runsIn(memory)).toBe(true);
    const own = nativeKernels()!;
    expect(own.runsIn(memory)).toBe(false);
    // Operands that live in the memory, at addresses of our choosing.
    const a = new Float32Array(memory.buffer, 64 * 1024, 24).map((_, i) => i * 0.5 - 3);
    const b = new Float32Array(memory.buffer, 96 * 1024, 6).map((_, i) => i + 0.25);
    const out = new Float32Array(memory.buffer, 128 * 1024, 24);
    k.binary('mul', a, b, out, 'cycle');
    const expected = new Float32Array(24);
    own.binary('mul', Float32Array.from(a), Float32Array.from(b), expected, 'cycle');
    expect(Array.from(out)).toEqual(Array.from(expected));
    // An operand from elsewhere is copied in; the result can go to an ordinary array too.
    const t = new Float32Array(24);
    k.transpose(Float32Array.from(expected), [4, 6], [1, 0], t);
    expect(t[1]).toBe(expected[6]);
    heap.expectUntouchedExcept([[64 * 1024, 96], [96 * 1024, 24], [128 * 1024, 96]]);
  });

  it('are a module without data segments or start function', () => {
    const ids = wasmSectionIds(Uint8Array.from(atob(NATIVE_KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0)));
    expect(ids).toContain(10);
    expect(ids.filter((id) => id === 8 || id === 11 || id === 12)).toEqual([]);
  });
});
