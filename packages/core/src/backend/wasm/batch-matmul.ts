import * as tf from '@tensorflow/tfjs';
import { KernelCalls, type WasmBackendLike } from './kernel-calls.js';
import { multiplyTensors, threadedGemm } from './gemm-pool.js';
import { nativeKernels } from './native-kernels.js';
import { captureStockKernel, replaceWasmKernel, stockKernel } from './stock-kernels.js';

/**
 * Per-product work (m·k·n) below which a product batched on BOTH sides stays on the stock kernel: splitting it
 * into many 2-D XNNPACK calls costs more in operator setup than it saves.
 */
export const SMALL_BATCHED_PRODUCT = 1 << 20;

/** Work (batch·m·k·n) from which a product runs on the {@link threadedGemm} when it is started. */
export const MIN_THREADED_GEMM = 1 << 15;

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * wasm `BatchMatMul` that routes every product through the stock kernel's fast case (2-D, un-transposed, which
 * XNNPACK runs at ~35 GFLOP/s): transposed operands are transposed explicitly, a batch on the left only is folded
 * into the rows, a batch on the right only is folded into the columns, large products batched on both sides are
 * split into 2-D products, and small ones (attention heads) run on the SIMD kernel of `packages/core/native`.
 */
function fastBatchMatMul(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const stock = stockKernel('BatchMatMul');
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args) as tf.TensorInfo;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) {
    throw new Error(
      `matMul: inner dimensions ${K} and ${Kb} of shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] differ (transposeA=${transposeA}, transposeB=${transposeB})`,
    );
  }
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const gemm = threadedGemm();
  const batch = Math.max(batchA, batchB);
  if (gemm && batch * M * K * N >= MIN_THREADED_GEMM && (batchA === batchB || batchA === 1 || batchB === 1)) {
    const wasm = backend as WasmBackendLike;
    const out = wasm.makeOutput([...outBatch, M, N], 'float32');
    // A batch on the left only, stored row by row, is one tall product.
    const fold = batchB === 1 && !transposeA;
    const dims = fold
      ? { m: batchA * M, k: K, n: N, transposeB }
      : { batch, batchA, batchB, m: M, k: K, n: N, transposeA, transposeB };
    if (multiplyTensors(gemm, wasm, [a, b, out], dims)) return out;
    // The GEMM retired itself during the call: this product and later ones run on XNNPACK.
    wasm.disposeData(out.dataId);
  }
  if (batchA > 1 && batchB > 1 && M * K * N < SMALL_BATCHED_PRODUCT) {
    const native = nativeKernels();
    if (!native || batchA !== batchB) return stock.kernelFunc(args) as tf.TensorInfo;
    const wasm = backend as WasmBackendLike;
    const out = wasm.makeOutput([...outBatch, M, N], 'float32');
    native.batchMatMul(
      wasm.typedArrayFromHeap(a) as Float32Array,
      wasm.typedArrayFromHeap(b) as Float32Array,
      wasm.typedArrayFromHeap(out) as Float32Array,
      { batch: batchA, batchA, batchB, m: M, k: K, n: N, transposeA, transposeB },
    );
    return out;
  }
  const calls = new KernelCalls(backend as WasmBackendLike);
  if (batchA === 1 && batchB === 1 && M < N) {
    // XNNPACK packs the right operand on every call (weights gradients meet a fresh one each step), at a cost
    // ∝ K·N that rivals the product when M is small; Cᵀ = op(B)ᵀ·op(A)ᵀ packs the narrower side instead.
    const lhs = transposeB ? b : calls.transpose(b, swapLastTwo(rb));
    const rhs = transposeA ? a : calls.transpose(a, swapLastTwo(ra));
    const prodT = calls.matMul(calls.reshape(lhs, [N, K]), calls.reshape(rhs, [K, M]));
    return calls.disposeExcept(calls.reshape(calls.transpose(prodT, [1, 0]), [...outBatch, M, N]));
  }
  const A = transposeA ? calls.transpose(a, swapLastTwo(ra)) : a;
  const B = transposeB ? calls.transpose(b, swapLastTwo(rb)) : b;
  let out: tf.TensorInfo;
  if (batchB === 1) {
    out = calls.matMul(calls.reshape(A, [batchA * M, K]), calls.reshape(B, [K, N]));
  } else if (batchA === 1) {
    // [K, batchB·N] from B[batchB, K, N]; the product is [M, batchB, N], moved back to [batchB, M, N].
    const wide = calls.reshape(calls.transpose(calls.reshape(B, [batchB, K, N]), [1, 0, 2]), [K, batchB * N]);
    const prod = calls.matMul(calls.reshape(A, [M, K]), wide);
    out = calls.transpose(calls.reshape(prod, [M, batchB, N]), [1, 0, 2]);
  } else {
    if (batchA !== batchB) {
      throw new Error(`matMul: batch sizes ${batchA} and ${batchB} must match or one must be 1`);
    }
    const A3 = calls.reshape(A, [batchA, M, K]);
    const B3 = calls.reshape(B, [batchB, K, N]);
    const parts: tf.TensorInfo[] = [];
    for (let i = 0; i < batchA; i++) {
      const ai = calls.reshape(calls.slice(A3, [i, 0, 0], [1, M, K]), [M, K]);
      const bi = calls.reshape(calls.slice(B3, [i, 0, 0], [1, K, N]), [K, N]);
      parts.push(calls.matMul(ai, bi));
    }
    out = calls.concat(parts, 0);
  }
  return calls.disposeExcept(calls.reshape(out, [...outBatch, M, N]));
}

/** Replaces the wasm `BatchMatMul` kernel with {@link fastBatchMatMul} (keeping the stock one for its fast case). */
export function registerFastBatchMatMul(): void {
  if (!captureStockKernel('BatchMatMul')) throw new Error("wasm training path: stock 'BatchMatMul' kernel for wasm not found");
  replaceWasmKernel('BatchMatMul', fastBatchMatMul as tf.KernelFunc);
}
