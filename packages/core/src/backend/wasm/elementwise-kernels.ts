import * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import type { BinaryBroadcast, BinaryOp } from './native-kernel-types.js';
import { nativeKernels } from './native-kernels.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/** How one operand of a binary op maps onto the broadcast output, or `undefined` if none of the three shapes. */
export function broadcastKind(shape: readonly number[], outShape: readonly number[]): BinaryBroadcast | undefined {
  const size = tf.util.sizeFromShape(shape as number[]);
  const outSize = tf.util.sizeFromShape(outShape as number[]);
  if (size === outSize) return 'full';
  const padded = [...new Array<number>(outShape.length - shape.length).fill(1), ...shape];
  // Non-1 axes only at the end, equal to the output's: the operand repeats over the leading axes.
  const first = padded.findIndex((d) => d !== 1);
  if (first < 0 || padded.slice(first).every((d, i) => d === outShape[first + i])) return 'cycle';
  // Equal to the output's up to some axis, 1 after it: each element spreads over a run of trailing positions.
  const last = padded.length - 1 - [...padded].reverse().findIndex((d) => d !== 1);
  if (padded.slice(0, last + 1).every((d, i) => d === outShape[i])) return 'repeat';
  return undefined;
}

const OPS: ReadonlyArray<[string, BinaryOp, BinaryOp]> = [
  // kernel, op with `b` broadcast, op with the operands swapped (when `a` is the broadcast one)
  ['Add', 'add', 'add'],
  ['Sub', 'sub', 'reverseSub'],
  ['Multiply', 'mul', 'mul'],
  ['RealDiv', 'div', 'reverseDiv'],
];

/** `Square` as `x·x` on the same kernel (tfjs' is an XNNPACK operator too). */
function square(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const native = nativeKernels();
  if (!native || x.dtype !== 'float32') return stockKernel('Square').kernelFunc(args) as tf.TensorInfo;
  const wasm = args.backend as WasmBackendLike;
  const out = wasm.makeOutput(x.shape, 'float32');
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  const v = wasm.typedArrayFromHeap(x) as Float32Array;
  native.binary('mul', v, v, wasm.typedArrayFromHeap(out) as Float32Array, 'full');
  return out;
}

function makeBinary(name: string, op: BinaryOp, swapped: BinaryOp): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const native = nativeKernels();
    if (!native || a.dtype !== 'float32' || b.dtype !== 'float32') return stockKernel(name).kernelFunc(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const kindA = broadcastKind(a.shape, outShape);
    const kindB = broadcastKind(b.shape, outShape);
    // One operand full, the other any of the three shapes; two broadcasts ([n,1]+[1,m]) stay on the stock kernel.
    const plan =
      kindA === 'full' && kindB !== undefined
        ? { first: a, second: b, kind: kindB, op }
        : kindB === 'full' && kindA !== undefined
        ? { first: b, second: a, kind: kindA, op: swapped }
        : undefined;
    if (!plan) return stockKernel(name).kernelFunc(args);
    const wasm = args.backend as WasmBackendLike;
    const out = wasm.makeOutput(outShape, 'float32');
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    // Views after the allocation: growing the heap may replace the buffer.
    const view = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    native.binary(plan.op, view(plan.first), view(plan.second), view(out), plan.kind);
    return out;
  };
}

/**
 * Replaces the wasm `Add`, `Sub`, `Multiply`, `RealDiv` and `Square` kernels for float32 with the SIMD kernels of `packages/core/native`
 * when one operand has the output's shape and the other is the same shape, a scalar, broadcast over leading axes
 * (biases, masks) or over trailing axes (per-row scales). Same float32 results; other cases run the stock kernels.
 * tfjs' XNNPACK operators wake the backend's thread pool on every call, whose threads then spin and take a core from
 * the matrix products that follow.
 */
export function registerElementwiseKernels(): void {
  const kernels: Array<[string, tf.KernelFunc]> = [
    ...OPS.map(([name, op, swapped]): [string, tf.KernelFunc] => [name, makeBinary(name, op, swapped)]),
    ['Square', square as tf.KernelFunc],
  ];
  for (const [name, kernelFunc] of kernels) replaceWasmKernel(name, kernelFunc);
}
