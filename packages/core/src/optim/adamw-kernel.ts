import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from '../backend/wasm/native-kernels.js';

/** Name of the fused AdamW kernel registered for the `cpu` and `wasm` backends. */
export const FUSED_ADAMW_KERNEL = 'IfsqAdamW';

/** Backends {@link registerFusedAdamW} registers the fused kernel for. */
const FUSED_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * Scalars of one fused AdamW update, already combined from the hyper-parameters and the step count (see
 * {@link AdamW}): `p ← p·decay; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − stepSize·m / (√v / bias2Sqrt + eps)`.
 */
export interface FusedAdamWAttrs {
  /** `1 − lr·weightDecay`; 1 skips the decay multiplication. */
  decay: number;
  /** β1. */
  beta1: number;
  /** β2. */
  beta2: number;
  /** `lr / (1 − β1ᵗ)`. */
  stepSize: number;
  /** `√(1 − β2ᵗ)`. */
  bias2Sqrt: number;
  /** Denominator epsilon. */
  eps: number;
}

/** The parts of the cpu and wasm backend objects the kernel touches. */
interface DataBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * The update loop (on wasm, the same operations run as SIMD in `native/src/adamw.c`, bit-identically). Intermediates stay in float64 and are rounded once, on store, to float32 (emulating the op
 * graph's per-op float32 rounding with `Math.fround` made the loop ~3× slower): the result is within a few float32
 * ulps of the op graph's and never less accurate.
 */
function adamWLoop(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  pOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  a: FusedAdamWAttrs,
): void {
  const { decay, beta1, beta2, stepSize, bias2Sqrt, eps } = a;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / bias2Sqrt + eps);
  }
}

/**
 * Kernel `IfsqAdamW`: inputs `param`, `m`, `v`, `grad` (float32, one shape), outputs the updated `[param, m, v]`.
 * Outputs are always fresh buffers, never the inputs updated in place: tfjs-wasm's XNNPACK convolutions and products
 * cache weights packed from a buffer under its data id (an in-place update would be served stale), and tfjs-cpu's
 * buffers may be arrays a caller still holds (from `dataSync()`).
 */
function fusedAdamW({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { param, m, v, grad } = inputs as Record<'param' | 'm' | 'v' | 'grad', tf.TensorInfo>;
  const b = backend as unknown as DataBackend;
  const a = attrs as unknown as FusedAdamWAttrs;
  for (const t of [param, m, v, grad]) {
    if (t.dtype !== 'float32') throw new Error(`${FUSED_ADAMW_KERNEL}: every input must be float32, got ${t.dtype}`);
  }
  const size = tf.util.sizeFromShape(param.shape);
  for (const t of [m, v, grad]) {
    if (tf.util.sizeFromShape(t.shape) !== size) {
      throw new Error(`${FUSED_ADAMW_KERNEL}: input of shape [${t.shape}] does not match parameter shape [${param.shape}]`);
    }
  }
  const state = [param, m, v];
  const shape = param.shape;
  if (b.typedArrayFromHeap && b.makeOutput) {
    const heap = (t: tf.TensorInfo) => b.typedArrayFromHeap!(t) as Float32Array;
    // Allocate every output before taking heap views: an allocation may grow the heap and detach older views.
    const outs = state.map(() => b.makeOutput!(shape, 'float32'));
    const [pv, mv, vv, gv] = [...state, grad].map(heap);
    const [po, mo, vo] = outs.map(heap);
    const native = nativeKernels();
    if (native) native.adamW({ p: pv, m: mv, v: vv, g: gv }, { p: po, m: mo, v: vo }, a);
    else adamWLoop(pv, mv, vv, gv, po, mo, vo, a);
    return outs;
  }
  if (!b.makeTensorInfo) throw new Error(`${FUSED_ADAMW_KERNEL}: backend "${tf.getBackend()}" is not supported`);
  const [pv, mv, vv, gv] = [...state, grad].map((t) => b.readSync(t.dataId) as Float32Array);
  const po = new Float32Array(size);
  const mo = new Float32Array(size);
  const vo = new Float32Array(size);
  adamWLoop(pv, mv, vv, gv, po, mo, vo, a);
  return [po, mo, vo].map((values) => b.makeTensorInfo!(shape, 'float32', values));
}

/** Registers {@link FUSED_ADAMW_KERNEL} for `cpu` and `wasm` (idempotent; needs no backend to be loaded). */
export function registerFusedAdamW(): void {
  for (const backendName of FUSED_BACKENDS) {
    if (tf.getKernel(FUSED_ADAMW_KERNEL, backendName)) continue;
    tf.registerKernel({ kernelName: FUSED_ADAMW_KERNEL, backendName, kernelFunc: fusedAdamW as unknown as tf.KernelFunc });
  }
}

/** Whether the active backend has the fused AdamW kernel (registering it first for `cpu`/`wasm`). */
export function fusedAdamWAvailable(): boolean {
  registerFusedAdamW();
  return tf.getKernel(FUSED_ADAMW_KERNEL, tf.getBackend()) != null;
}

/**
 * One fused AdamW update of `param`, `m` and `v` in a single kernel call. The variables are re-pointed to the
 * kernel's outputs. Call inside `tf.tidy`; the backend must pass
 * {@link fusedAdamWAvailable}.
 */
export function fusedAdamWUpdate(
  param: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  grad: tf.Tensor,
  attrs: FusedAdamWAttrs,
): void {
  const [p2, m2, v2] = tf
    .engine()
    .runKernel(FUSED_ADAMW_KERNEL, { param, m, v, grad }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  param.assign(p2);
  m.assign(m2);
  v.assign(v2);
}
