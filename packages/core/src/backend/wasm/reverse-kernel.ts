import * as tf from '@tensorflow/tfjs';
import { heapWords, type WasmBackendLike, wordOffset } from './kernel-calls.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/**
 * Copies `x` (4-byte words from word `from` of `heap`, row-major `shape`) to word `to` with the axes flagged in
 * `reversed` read backwards. The trailing axes that are not reversed move as one contiguous run (a flipped conv
 * filter `[fh, fw, ci, co]` is fh·fw runs of ci·co words); a reversed innermost axis is copied word by word.
 */
export function copyReversed(heap: Int32Array, from: number, shape: readonly number[], reversed: readonly boolean[], to: number): void {
  const rank = shape.length;
  let run = 1;
  let lead = rank;
  while (lead > 0 && !reversed[lead - 1]) run *= shape[--lead];
  const total = shape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  // Odometer over the leading axes; `src` is where the current output run starts in the input.
  const index = new Array<number>(lead).fill(0);
  let src = from;
  for (let i = 0; i < lead; i++) if (reversed[i]) src += (shape[i] - 1) * strides[i];
  const flipInner = lead > 0 && reversed[lead - 1] && run === 1;
  for (let dst = to; dst < to + total; ) {
    if (flipInner) {
      // The innermost axis itself is reversed: walk it backwards.
      const n = shape[lead - 1];
      for (let j = 0; j < n; j++) heap[dst + j] = heap[src - j];
      dst += n;
    } else {
      heap.copyWithin(dst, src, src + run);
      dst += run;
    }
    let d = flipInner ? lead - 2 : lead - 1;
    for (; d >= 0; d--) {
      const step = reversed[d] ? -strides[d] : strides[d];
      src += step;
      if (++index[d] < shape[d]) break;
      src -= step * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * wasm `Reverse` for float32 and int32 on the heap (tfjs-wasm's moves one element at a time through index
 * arithmetic: ~1 ms for a 3×3×64×64 filter); other dtypes use the stock kernel. Exact: only bits move.
 */
function reverse(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dims } = args.attrs as unknown as { dims: number | number[] };
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return stockKernel('Reverse').kernelFunc(args) as tf.TensorInfo;
  const axes = tf.util.parseAxisParam(dims, x.shape);
  const wasm = args.backend as WasmBackendLike;
  const out = wasm.makeOutput(x.shape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  const reversed = x.shape.map((d, i) => axes.includes(i) && d > 1);
  copyReversed(heapWords(wasm), wordOffset(wasm, x), x.shape, reversed, wordOffset(wasm, out));
  return out;
}

/** Replaces the wasm `Reverse` kernel with the heap-copying one for 4-byte dtypes. */
export function registerReverseKernel(): void {
  replaceWasmKernel('Reverse', reverse as tf.KernelFunc);
}
