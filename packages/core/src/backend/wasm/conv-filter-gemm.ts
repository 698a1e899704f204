import type * as tf from '@tensorflow/tfjs';
import { reachedInput } from './conv-composites.js';
import type { ConvGeometry } from './conv-geometry.js';
import { KernelCalls, type WasmBackendLike } from './kernel-calls.js';
import { multiplyTensors, threadedGemm } from './gemm-pool.js';

/** Offset tables of a filter gradient over an input padded to `paddedHeight × paddedWidth`. */
interface FilterGradientOffsets {
  /** Per filter entry `(kh, kw, ci)`: where it reads relative to an output pixel's window. */
  rows: Int32Array;
  /** Per output pixel `(b, oy, ox)`: where its window starts in the padded input. */
  cols: Int32Array;
}

const offsetCache = new Map<string, FilterGradientOffsets>();
const OFFSET_CACHE_SIZE = 64;

/**
 * `dW[kh,kw,ci,co] = Σ_{b,oy,ox} xpad[b, oy·sh+kh, ox·sw+kw, ci] · dy[b,oy,ox,co]` is the product of a
 * `(fh·fw·ci) × (B·OH·OW)` matrix read straight from the padded input — entry `(i, q)` at `rows[i] + cols[q]` — with
 * `dy` seen as `(B·OH·OW) × co`. These are the two tables (cached per geometry).
 */
export function filterGradientOffsets(g: ConvGeometry, paddedHeight: number, paddedWidth: number): FilterGradientOffsets {
  const key = [g.batch, g.inChannels, g.outHeight, g.outWidth, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, paddedHeight, paddedWidth].join(',');
  let hit = offsetCache.get(key);
  if (hit) return hit;
  const C = g.inChannels;
  const rows = new Int32Array(g.filterHeight * g.filterWidth * C);
  for (let kh = 0, i = 0; kh < g.filterHeight; kh++)
    for (let kw = 0; kw < g.filterWidth; kw++) for (let ci = 0; ci < C; ci++, i++) rows[i] = (kh * paddedWidth + kw) * C + ci;
  const cols = new Int32Array(g.batch * g.outHeight * g.outWidth);
  for (let b = 0, q = 0; b < g.batch; b++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++, q++) cols[q] = ((b * paddedHeight + oy * g.strideHeight) * paddedWidth + ox * g.strideWidth) * C;
  hit = { rows, cols };
  if (offsetCache.size >= OFFSET_CACHE_SIZE) offsetCache.delete(offsetCache.keys().next().value!);
  offsetCache.set(key, hit);
  return hit;
}

/**
 * The filter gradient of an NHWC convolution as one product on the threaded GEMM, reading the padded input through
 * offset tables (no im2col matrix, no transposes). `undefined` when the GEMM is not running (or stopped), so the
 * caller falls back to its composite.
 *
 * @param x convolution input `[B, H, W, ci]`, float32.
 * @param dy gradient of the convolution output `[B, OH, OW, co]`, float32.
 * @returns `[fh, fw, ci, co]`.
 */
export function gemmFilterGradient(backend: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo | undefined {
  const gemm = threadedGemm();
  if (!gemm || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const calls = new KernelCalls(backend);
  const out = backend.makeOutput([g.filterHeight, g.filterWidth, g.inChannels, g.outChannels], 'float32');
  let done = false;
  try {
    const used = reachedInput(calls, x, g);
    const [, paddedHeight, paddedWidth] = used.shape;
    const aOffsets = filterGradientOffsets(g, paddedHeight, paddedWidth);
    done = multiplyTensors(gemm, backend, [used, dy, out], { m: aOffsets.rows.length, k: aOffsets.cols.length, n: g.outChannels, aOffsets });
  } finally {
    calls.disposeAll();
    if (!done) backend.disposeData(out.dataId);
  }
  return done ? out : undefined; // undefined: the GEMM retired itself, the composite takes over
}
