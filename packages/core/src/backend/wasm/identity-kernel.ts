import * as tf from '@tensorflow/tfjs';
import { captureStockKernel, replaceWasmKernel } from './stock-kernels.js';

interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

/**
 * wasm `Identity` that shares the input's buffer (reference count + 1), as tfjs-cpu's does, instead of copying.
 * The engine clones every tensor a gradient saves through this kernel (~600 copies per tokenizer training step);
 * tfjs tensors are immutable, so sharing is safe. Strings keep the stock kernel.
 */
function sharedIdentity(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return captureStockKernel('Identity')!.kernelFunc(args) as tf.TensorInfo;
  (args.backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Replaces the wasm `Identity` kernel with {@link sharedIdentity}. */
export function registerSharedIdentity(): void {
  replaceWasmKernel('Identity', sharedIdentity as tf.KernelFunc);
}
