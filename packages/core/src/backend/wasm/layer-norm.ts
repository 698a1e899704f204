import * as tf from '@tensorflow/tfjs';
import { fusionSwitch } from './fusion-switch.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { layerNormBackward, layerNormForward } from './layer-norm-math.js';
import { nativeKernels, type NativeKernels } from './native-kernels.js';

/** Kernel name of the fused LayerNorm forward: inputs `x, gamma, beta`; outputs `y, mean, rstd`. */
export const LAYER_NORM_KERNEL = 'IfsqLayerNorm';
/** Kernel name of its backward: inputs `dy, x, gamma, mean, rstd`; outputs `dx, dgamma, dbeta`. */
export const LAYER_NORM_GRAD_KERNEL = 'IfsqLayerNormGrad';

// The fused kernels run, on `wasm`, the SIMD C kernels of `packages/core/native` (the JS loops of
// `layer-norm-math.ts` when WebAssembly SIMD is unavailable), on `cpu` the JS loops over the backend's arrays.

interface LayerNormAttrs {
  eps: number;
}

/** The parts of the tfjs-cpu backend object the kernels touch. */
interface CpuBackendLike extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** Allocates float32 outputs and reads float32 inputs on whichever of the two backends runs the kernel. */
interface Io {
  /** Allocates every output first (on wasm an allocation may grow the heap and detach earlier views). */
  outputs(shapes: number[][]): tf.TensorInfo[];
  /** The values of an input or of an output from {@link Io.outputs}. */
  view(t: tf.TensorInfo): Float32Array;
  /** The SIMD kernels to run on (wasm backend with WebAssembly SIMD), else `undefined` for the JS loops. */
  native: NativeKernels | undefined;
}

function ioFor(backend: tf.KernelBackend): Io {
  if ('typedArrayFromHeap' in backend) {
    const wasm = backend as WasmBackendLike;
    return {
      outputs: (shapes) => shapes.map((s) => wasm.makeOutput(s, 'float32')),
      view: (t) => wasm.typedArrayFromHeap(t) as Float32Array,
      native: nativeKernels(),
    };
  }
  const cpu = backend as CpuBackendLike;
  return {
    outputs: (shapes) =>
      shapes.map((s) => cpu.makeTensorInfo(s, 'float32', new Float32Array(tf.util.sizeFromShape(s)))),
    view: (t) => cpu.data.get(t.dataId).values as Float32Array,
    native: undefined,
  };
}

/** Rows and width of `x`, checking dtype and that `gamma` has the width. */
function dimsOf(x: tf.TensorInfo, gamma: tf.TensorInfo): { rows: number; d: number } {
  if (x.dtype !== 'float32') throw new Error(`${LAYER_NORM_KERNEL}: expected float32 input, got ${x.dtype}`);
  const d = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || gamma.shape.length !== 1 || gamma.shape[0] !== d) {
    throw new Error(`${LAYER_NORM_KERNEL}: gamma [${gamma.shape.join(',')}] must be [${d}] for input [${x.shape.join(',')}]`);
  }
  return { rows: d === 0 ? 0 : tf.util.sizeFromShape(x.shape) / d, d };
}

function forwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { rows, d } = dimsOf(x, gamma);
  const io = ioFor(backend as tf.KernelBackend);
  const [y, mean, rstd] = io.outputs([x.shape, [rows], [rows]]);
  const v = io.view;
  const { eps } = attrs as unknown as LayerNormAttrs;
  if (io.native) io.native.layerNormForward({ rows, d }, v(x), v(gamma), v(beta), eps, { y: v(y), mean: v(mean), rstd: v(rstd) });
  else layerNormForward(rows, d, v(x), v(gamma), v(beta), eps, v(y), v(mean), v(rstd));
  return [y, mean, rstd];
}

function backwardKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { dy, x, gamma, mean, rstd } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>;
  const { rows, d } = dimsOf(x, gamma);
  const io = ioFor(backend as tf.KernelBackend);
  const [dx, dgamma, dbeta] = io.outputs([x.shape, [d], [d]]);
  const v = io.view;
  if (io.native) {
    io.native.layerNormBackward(
      { rows, d },
      { dy: v(dy), x: v(x), gamma: v(gamma), mean: v(mean), rstd: v(rstd) },
      { dx: v(dx), dgamma: v(dgamma), dbeta: v(dbeta) },
    );
  } else layerNormBackward(rows, d, v(dy), v(x), v(gamma), v(mean), v(rstd), v(dx), v(dgamma), v(dbeta));
  return [dx, dgamma, dbeta];
}

const fusion = fusionSwitch([
  [LAYER_NORM_KERNEL, forwardKernel as unknown as tf.KernelFunc],
  [LAYER_NORM_GRAD_KERNEL, backwardKernel as unknown as tf.KernelFunc],
]);

/** Registers the fused LayerNorm kernels for `cpu` and `wasm` (idempotent; the registry is global). */
export function registerLayerNormKernels(): void {
  fusion.register();
}

/**
 * Turns the fused LayerNorm kernels on or off process-wide (for benchmarks and A/B checks); when off,
 * {@link fusedLayerNormAvailable} is false and callers use the op graph.
 *
 * @param enabled whether {@link fusedLayerNormAvailable} may report true. @default true (initial state)
 */
export function setLayerNormFusion(enabled: boolean): void {
  fusion.setEnabled(enabled);
}

/** Whether the fused LayerNorm kernels run on the current backend (fusion enabled, backend `cpu` or `wasm`). */
export function fusedLayerNormAvailable(): boolean {
  return fusion.available();
}

/**
 * Fused LayerNorm with affine over the last axis of `x`: `γ·(x − μ)/√(σ² + eps) + β` (biased variance, as PyTorch),
 * one kernel call forward and one backward (gradients for `x`, `gamma` and `beta`). Call only when
 * {@link fusedLayerNormAvailable} is true.
 *
 * @param x `[..., D]` float32.
 * @param gamma `[D]` scale.
 * @param beta `[D]` shift.
 * @param eps added to the variance.
 */
export function fusedLayerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps: number): T {
  const attrs = { eps };
  const op = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: xIn, gamma: gIn, beta: bIn }, attrs) as tf.Tensor[];
    save([xIn, gIn, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sr] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy, x: sx, gamma: sg, mean: sm, rstd: sr }, {}) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta) as T;
}
