import * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/**
 * wasm `Softmax` (over the last axis) for float32 on the SIMD kernel of `packages/core/native`: one pass for the row
 * maximum, one for the exps and their sum, one to scale. Float32 results within a few ulp of the cpu kernel's; other
 * dtypes or a runtime without the module use the stock kernel, whose XNNPACK operator wakes the backend's thread pool.
 */
function softmax(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { logits } = args.inputs as { logits: tf.TensorInfo };
  const { dim } = args.attrs as unknown as { dim: number };
  const rank = logits.shape.length;
  const native = nativeKernels();
  if (!native || logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
    return stockKernel('Softmax').kernelFunc(args) as tf.TensorInfo;
  }
  const wasm = args.backend as WasmBackendLike;
  const out = wasm.makeOutput(logits.shape, 'float32');
  const cols = logits.shape[rank - 1];
  const size = tf.util.sizeFromShape(logits.shape);
  if (size === 0) return out;
  native.softmax(wasm.typedArrayFromHeap(logits) as Float32Array, wasm.typedArrayFromHeap(out) as Float32Array, size / cols, cols);
  return out;
}

/** Replaces the wasm `Softmax` kernel with the SIMD one for float32 over the last axis. */
export function registerSoftmaxKernel(): void {
  replaceWasmKernel('Softmax', softmax as tf.KernelFunc);
}
