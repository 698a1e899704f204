import * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import type { SumMiddleDims } from './native-kernel-types.js';
import { nativeKernels } from './native-kernels.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/** Shape with size-1 axes dropped and adjacent axes of the same kind (reduced or kept) merged. */
interface MergedAxes {
  dims: number[];
  red: boolean[];
}

function mergeAxes(shape: readonly number[], reduced: readonly boolean[]): MergedAxes {
  const dims: number[] = [];
  const red: boolean[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    if (red.length > 0 && red[red.length - 1] === reduced[i]) dims[dims.length - 1] *= d;
    else {
      dims.push(d);
      red.push(reduced[i]);
    }
  });
  return { dims, red };
}

/**
 * `[outer, mid, inner]` when the merged pattern is `[kept?, reduced, kept]` (the native kernel's shape), else
 * `undefined`.
 */
function middlePattern({ dims, red }: MergedAxes): SumMiddleDims | undefined {
  const n = dims.length;
  if (n === 2 && red[0] && !red[1]) return { outer: 1, mid: dims[0], inner: dims[1] };
  if (n === 3 && !red[0] && red[1] && !red[2]) return { outer: dims[0], mid: dims[1], inner: dims[2] };
  return undefined;
}

/**
 * Sums `x` over arbitrary `axes` in one pass over the wasm heap, without the full transpose tfjs-wasm makes
 * whenever the axes are not the innermost ones (bias gradients reduce the leading `[B, H, W]` axes, GroupNorm the
 * middle ones). Adjacent axes of the same kind are merged; the innermost merged run is the tight loop. The JS
 * fallback when the native kernels are unavailable or the pattern is not `[kept?, reduced, kept]`.
 */
function reduceSumInto(x: Float32Array, { dims, red }: MergedAxes, out: Float32Array): void {
  out.fill(0);
  if (dims.length === 0) {
    out[0] = x[0];
    return;
  }
  const n = dims.length;
  const outStride = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    if (!red[i]) {
      outStride[i] = s;
      s *= dims[i];
    }
  }
  const inner = dims[n - 1];
  const innerKept = !red[n - 1];
  const counter = new Array<number>(n - 1).fill(0);
  let o = 0;
  for (let p = 0; p < x.length; p += inner) {
    if (innerKept) {
      for (let j = 0; j < inner; j++) out[o + j] += x[p + j];
    } else {
      let acc = 0;
      for (let j = 0; j < inner; j++) acc += x[p + j];
      out[o] += acc;
    }
    for (let d = n - 2; d >= 0; d--) {
      o += outStride[d];
      if (++counter[d] < dims[d]) break;
      o -= outStride[d] * dims[d];
      counter[d] = 0;
    }
  }
}

function makeReduce(name: 'Sum' | 'Mean'): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const innermost = tf.backend_util.getAxesPermutation(axes, x.shape.length) == null;
    if (x.dtype !== 'float32' || innermost || tf.util.sizeFromShape(x.shape) === 0) {
      return stockKernel(name).kernelFunc(args);
    }
    const wasm = args.backend as WasmBackendLike;
    const reduced = x.shape.map((_, i) => axes.includes(i));
    const kept = x.shape.filter((_, i) => !reduced[i]);
    const shape = keepDims ? x.shape.map((d, i) => (reduced[i] ? 1 : d)) : kept;
    const out = wasm.makeOutput(shape, 'float32');
    const view = wasm.typedArrayFromHeap(out) as Float32Array;
    const xs = wasm.typedArrayFromHeap(x) as Float32Array;
    const merged = mergeAxes(x.shape, reduced);
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    const middle = middlePattern(merged);
    const native = middle && nativeKernels();
    if (native && middle) {
      native.sumMiddle(xs, middle, view, name === 'Mean' ? count : 1);
      return out;
    }
    reduceSumInto(xs, merged, view);
    if (name === 'Mean') for (let i = 0; i < view.length; i++) view[i] /= count;
    return out;
  };
}

/** Replaces the wasm `Sum` and `Mean` kernels with transpose-free versions for non-innermost axes. */
export function registerReduceKernels(): void {
  for (const name of ['Sum', 'Mean'] as const) replaceWasmKernel(name, makeReduce(name));
}
