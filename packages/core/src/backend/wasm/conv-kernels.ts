import * as tf from '@tensorflow/tfjs';
import { convFilterGradient, convInputGradient } from './conv-composites.js';
import { convGeometry, type ConvAttrs } from './conv-geometry.js';
import { gemmFilterGradient } from './conv-filter-gemm.js';
import { KernelCalls, type WasmBackendLike } from './kernel-calls.js';
import { replaceWasmKernel } from './stock-kernels.js';

/** Attributes of `Conv2DBackpropFilter`. */
interface FilterGradAttrs extends ConvAttrs {
  filterShape: [number, number, number, number];
}

/** Attributes of `Conv2DBackpropInput`. */
interface InputGradAttrs extends ConvAttrs {
  inputShape: [number, number, number, number];
}

/**
 * wasm `Conv2DBackpropFilter` (missing in stock tfjs-wasm): one product on the threaded GEMM reading the padded
 * input through offset tables, or, without the GEMM, one XNNPACK convolution of the transposed input with `dy`.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as FilterGradAttrs;
  const g = convGeometry(x.shape, a.filterShape, a);
  const viaGemm = gemmFilterGradient(backend as WasmBackendLike, x, dy, g);
  if (viaGemm) return viaGemm;
  const calls = new KernelCalls(backend as WasmBackendLike);
  return calls.disposeExcept(convFilterGradient(calls, x, dy, g));
}

/** wasm `Conv2DBackpropInput` (the stock one is scalar): one XNNPACK convolution of the spread, padded `dy`. */
function conv2dBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as InputGradAttrs;
  const g = convGeometry(a.inputShape, filter.shape, a);
  const calls = new KernelCalls(backend as WasmBackendLike);
  return calls.disposeExcept(convInputGradient(calls, dy, filter, g));
}

/** Registers the two conv gradient kernels for wasm (the stock `Conv2DBackpropInput` is kept for reference). */
export function registerConvKernels(): void {
  replaceWasmKernel('Conv2DBackpropInput', conv2dBackpropInput as tf.KernelFunc);
  replaceWasmKernel('Conv2DBackpropFilter', conv2dBackpropFilter as tf.KernelFunc);
}
