import * as tf from '@tensorflow/tfjs';
import { heapWords, type WasmBackendLike, wordOffset } from './kernel-calls.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/**
 * `Slice`, `SplitV` and unit-stride `StridedSlice` for the wasm backend that move 4-byte elements (float32,
 * int32) straight on the heap: contiguous runs with `copyWithin`, short runs element by element. The stock kernels
 * first copy the whole input out of the heap (`readSync`) and then copy each row through a fresh `subarray`, which
 * dominates for the `[rows, 3·D]` → 3 × `[rows, D]` split of a fused QKV projection.
 */

/** Runs shorter than this many elements are copied in a plain loop (a `copyWithin` call costs more). */
const SHORT_RUN = 16;

/** Dtypes stored as 4-byte elements on the wasm heap. */
const WORD_DTYPES: readonly tf.DataType[] = ['float32', 'int32'];

/**
 * Copies the box `begin .. begin + size` of a row-major array of `shape` (4-byte words starting at word `from` of
 * `heap`) to consecutive words from `to`. Axes of size 1 are dropped and axes that stay adjacent in memory are
 * merged, so the copy is a few long runs whenever the box allows it.
 */
export function copyBox(
  heap: Int32Array,
  from: number,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  to: number,
): void {
  const rank = shape.length;
  let base = from;
  let stride = 1;
  // Merged (count, stride) pairs, innermost first.
  const counts: number[] = [];
  const strides: number[] = [];
  for (let i = rank - 1; i >= 0; i--) {
    base += begin[i] * stride;
    const n = size[i];
    if (n === 0) return;
    if (n !== 1) {
      const last = counts.length - 1;
      if (last >= 0 && strides[last] * counts[last] === stride) counts[last] *= n;
      else {
        counts.push(n);
        strides.push(stride);
      }
    }
    stride *= shape[i];
  }
  if (counts.length === 0 || strides[0] !== 1) {
    counts.unshift(1);
    strides.unshift(1);
  }
  const run = counts[0];
  const outer = counts.length - 1;
  const counter = new Array<number>(outer).fill(0);
  let src = base;
  let dst = to;
  for (;;) {
    if (run >= SHORT_RUN) heap.copyWithin(dst, src, src + run);
    else for (let j = 0; j < run; j++) heap[dst + j] = heap[src + j];
    dst += run;
    // Odometer over the outer axes (index 1 is the innermost of them).
    let d = 0;
    for (; d < outer; d++) {
      src += strides[d + 1];
      if (++counter[d] < counts[d + 1]) break;
      src -= strides[d + 1] * counts[d + 1];
      counter[d] = 0;
    }
    if (d === outer) return;
  }
}

/** Whether the fast path handles `x`: a 4-byte dtype (bool, string and complex go to the stock kernel). */
function handles(x: tf.TensorInfo): boolean {
  return WORD_DTYPES.includes(x.dtype);
}

/**
 * Makes every output first, then copies one box of `x` into each: `boxes[k]` is the begin and size of output
 * `k`, whose shape is `shapes[k]` (same element count as the size).
 */
function sliceInto(
  wasm: WasmBackendLike,
  x: tf.TensorInfo,
  boxes: ReadonlyArray<{ begin: number[]; size: number[] }>,
  shapes: readonly number[][],
): tf.TensorInfo[] {
  const outs = shapes.map((s) => wasm.makeOutput(s, x.dtype));
  if (tf.util.sizeFromShape(x.shape) === 0) return outs;
  const from = wordOffset(wasm, x);
  const targets = outs.map((o) => (tf.util.sizeFromShape(o.shape) === 0 ? -1 : wordOffset(wasm, o)));
  const heap = heapWords(wasm);
  boxes.forEach(({ begin, size }, k) => {
    if (targets[k] >= 0) copyBox(heap, from, x.shape, begin, size, targets[k]);
  });
  return outs;
}

const slice: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!handles(x)) return stockKernel(tf.Slice).kernelFunc(args);
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  return sliceInto(args.backend as WasmBackendLike, x, [{ begin: b, size: s }], [s])[0];
};

const splitV: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!handles(x)) return stockKernel(tf.SplitV).kernelFunc(args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  let at = 0;
  const boxes = sizes.map((n) => {
    const begin = x.shape.map((_, i) => (i === ax ? at : 0));
    const size = x.shape.map((d, i) => (i === ax ? n : d));
    at += n;
    return { begin, size };
  });
  return sliceInto(args.backend as WasmBackendLike, x, boxes, boxes.map((bx) => bx.size));
};

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

const stridedSlice: tf.KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!handles(x)) return stockKernel(tf.StridedSlice).kernelFunc(args);
  const a = args.attrs as unknown as StridedSliceAttrs;
  const info = tf.slice_util.sliceInfo(
    x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask,
  );
  // Identity slices are a free reshape in the stock kernel; general strides stay on its C++ loop.
  if (info.isIdentity || !(info.sliceDim0 || info.isSimpleSlice) || x.shape.length === 0) {
    return stockKernel(tf.StridedSlice).kernelFunc(args);
  }
  const size = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
  if (size.some((n) => n < 0)) return stockKernel(tf.StridedSlice).kernelFunc(args);
  return sliceInto(args.backend as WasmBackendLike, x, [{ begin: info.begin, size }], [info.finalShape])[0];
};

/**
 * Replaces the wasm `Slice`, `SplitV` and `StridedSlice` kernels with heap-copying versions for float32/int32
 * (other dtypes, and `StridedSlice` with non-unit strides, run the stock kernels). Idempotent.
 */
export function registerSliceKernels(): void {
  for (const [name, kernelFunc] of [
    [tf.Slice, slice],
    [tf.SplitV, splitV],
    [tf.StridedSlice, stridedSlice],
  ] as const) {
    replaceWasmKernel(name, kernelFunc);
  }
}
