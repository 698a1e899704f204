import * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import { replaceWasmKernel } from './stock-kernels.js';

/**
 * wasm `UnsortedSegmentSum` (missing in stock tfjs-wasm; it is the gradient of `gather`, i.e. of embeddings):
 * `out[s, …] = Σ_{i : ids[i] = s} x[i, …]`, ids outside `[0, numSegments)` dropped, as in TensorFlow.
 * One O(N·D) loop over views of the wasm heap; no copy through another backend.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = backend as WasmBackendLike;
  const idRank = segmentIds.shape.length;
  if (idRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `unsortedSegmentSum: segmentIds shape [${segmentIds.shape.join(',')}] must be a prefix of x shape [${x.shape.join(',')}]`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`unsortedSegmentSum: x must be float32 or int32 (got ${x.dtype})`);
  }
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  // Allocate first: allocation may grow the heap and detach earlier views.
  const out = wasm.makeOutput(outShape, x.dtype);
  const outView = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xs = wasm.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = wasm.typedArrayFromHeap(segmentIds);
  outView.fill(0);
  const n = ids.length;
  const d = n === 0 ? 0 : xs.length / n;
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * d;
    const dst = s * d;
    for (let j = 0; j < d; j++) outView[dst + j] += xs[src + j];
  }
  return out;
}

/** Registers {@link unsortedSegmentSum} for wasm. */
export function registerUnsortedSegmentSum(): void {
  replaceWasmKernel('UnsortedSegmentSum', unsortedSegmentSum as tf.KernelFunc);
}
