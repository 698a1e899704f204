import * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';
import { replaceWasmKernel, stockKernel } from './stock-kernels.js';

/**
 * Element count below which `Transpose` stays on the stock kernel: for tiny tensors the copy into and out of the
 * SIMD module costs more than it saves.
 */
export const SMALL_TRANSPOSE = 2048;

/** A transpose with size-1 axes dropped and axes that stay adjacent merged: the same data movement, lowest rank. */
export interface SimplifiedTranspose {
  /** Input shape after dropping and merging. */
  shape: number[];
  /** Permutation over {@link SimplifiedTranspose.shape}; the identity when the transpose moves no data. */
  perm: number[];
}

/**
 * Reduces `transpose(x, perm)` to its lowest-rank equivalent: size-1 axes carry no data and go; consecutive output
 * axes that are consecutive input axes move together and become one.
 */
export function simplifyTranspose(shape: readonly number[], perm: readonly number[]): SimplifiedTranspose {
  // Input axes that hold data, renumbered 0..; the output order over those numbers.
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const order = perm.filter((p) => shape[p] !== 1).map((p) => kept.indexOf(p));
  // Runs of the output order that read consecutive input axes move as one axis.
  const groups: number[][] = [];
  for (const p of order) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] === p - 1) g.push(p);
    else groups.push([p]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInput.map((g) => g.reduce((s, a) => s * shape[kept[a]], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/**
 * wasm `Transpose` on the SIMD kernel of `packages/core/native` (4×4 shuffles in 32×32 tiles) for float32 and int32
 * tensors whose innermost axis moves; other dtypes, tiny tensors, permutations that keep the innermost axis (the
 * stock kernel copies those by runs), or a runtime without the module use the stock kernel. Exactly the same
 * values: a transpose only moves bits.
 */
export function fastTranspose(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = args.attrs as unknown as { perm: number[] };
  const native = nativeKernels();
  const size = tf.util.sizeFromShape(x.shape);
  if (!native || (x.dtype !== 'float32' && x.dtype !== 'int32') || size < SMALL_TRANSPOSE) {
    return stockKernel('Transpose').kernelFunc(args) as tf.TensorInfo;
  }
  const s = simplifyTranspose(x.shape, perm);
  const last = s.perm.length - 1;
  // When the innermost axis stays innermost the stock kernel already copies whole runs.
  if (last >= 0 && s.perm[last] === last) return stockKernel('Transpose').kernelFunc(args) as tf.TensorInfo;
  const wasm = args.backend as WasmBackendLike;
  const out = wasm.makeOutput(
    perm.map((p) => x.shape[p]),
    x.dtype,
  );
  // Views after the allocation: growing the heap detaches older ones.
  const from = wasm.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const to = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
  if (last < 0) to.set(from);
  else native.transpose(from, s.shape, s.perm, to);
  return out;
}

/** Replaces the wasm `Transpose` kernel with {@link fastTranspose}. */
export function registerFastTranspose(): void {
  replaceWasmKernel('Transpose', fastTranspose as tf.KernelFunc);
}
