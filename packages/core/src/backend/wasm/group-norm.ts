import * as tf from '@tensorflow/tfjs';
import { fusionSwitch } from './fusion-switch.js';
import {
  groupNormAffine,
  groupNormBackward,
  groupNormStats,
  sigmoidInto,
  type GroupNormDims,
} from './group-norm-math.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';
import { stockKernel } from './stock-kernels.js';

/**
 * Kernel name of the fused GroupNorm(+SiLU) forward: inputs `x, gamma, beta`; outputs `y, mean, rstd`, and with
 * `silu` also `sig = σ(a)` (kept for the backward, which then skips recomputing the sigmoid).
 */
export const GROUP_NORM_KERNEL = 'IfsqGroupNorm';
/** Kernel name of its backward: inputs `dy, x, gamma, beta, mean, rstd` (+ `sig` with `silu`); outputs `dx, dgamma, dbeta`. */
export const GROUP_NORM_GRAD_KERNEL = 'IfsqGroupNormGrad';

// The fused kernels run, on `wasm`, the SIMD C kernels of `packages/core/native` (the JS loops of
// `group-norm-math.ts` with the stock `Sigmoid` when WebAssembly SIMD is unavailable), on `cpu` the JS loops.

interface ForwardAttrs {
  groups: number;
  eps: number;
  silu: boolean;
}

/** The parts of the tfjs-cpu backend object the kernels touch. */
interface CpuBackendLike extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

function dimsOf(x: tf.TensorInfo, groups: number): GroupNormDims {
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4 || c % groups !== 0) {
    throw new Error(`${GROUP_NORM_KERNEL}: expected NHWC input with channels divisible by ${groups}, got [${x.shape.join(',')}]`);
  }
  if (x.dtype !== 'float32') throw new Error(`${GROUP_NORM_KERNEL}: expected float32 input, got ${x.dtype}`);
  return { n, s: h * w, c, g: groups };
}

/** Reads a float32 tensor's values on whichever of the two backends runs the kernel. */
type Reader = (t: tf.TensorInfo) => Float32Array;

function runStock(wasm: WasmBackendLike, name: string, inputs: tf.NamedTensorInfoMap): tf.TensorInfo {
  return stockKernel(name).kernelFunc({ inputs, backend: wasm, attrs: {} }) as tf.TensorInfo;
}

function forwardWasm(wasm: WasmBackendLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, attrs: ForwardAttrs): tf.TensorInfo[] {
  const dims = dimsOf(x, attrs.groups);
  const native = nativeKernels();
  // Allocate before taking views: allocation may grow the heap and detach earlier views.
  const mean = wasm.makeOutput([dims.n, dims.g], 'float32');
  const rstd = wasm.makeOutput([dims.n, dims.g], 'float32');
  const a = wasm.makeOutput(x.shape, 'float32');
  const v: Reader = (t) => wasm.typedArrayFromHeap(t) as Float32Array;
  if (native) {
    const sig = attrs.silu ? wasm.makeOutput(x.shape, 'float32') : undefined;
    native.groupNormForward(dims, v(x), v(gamma), v(beta), attrs.eps, {
      y: v(a),
      mean: v(mean),
      rstd: v(rstd),
      sig: sig && v(sig),
    });
    return sig ? [a, mean, rstd, sig] : [a, mean, rstd];
  }
  groupNormStats(dims, v(x), attrs.eps, v(mean), v(rstd));
  groupNormAffine(dims, v(x), v(gamma), v(beta), v(mean), v(rstd), v(a));
  if (!attrs.silu) return [a, mean, rstd];
  const sig = runStock(wasm, 'Sigmoid', { x: a });
  const y = runStock(wasm, 'Multiply', { a, b: sig });
  wasm.disposeData(a.dataId);
  return [y, mean, rstd, sig];
}

function backwardWasm(wasm: WasmBackendLike, inputs: GradInputs, attrs: ForwardAttrs): tf.TensorInfo[] {
  const { dy, x, gamma, beta, mean, rstd, sig } = inputs;
  const dims = dimsOf(x, attrs.groups);
  const dx = wasm.makeOutput(x.shape, 'float32');
  const dgamma = wasm.makeOutput([dims.c], 'float32');
  const dbeta = wasm.makeOutput([dims.c], 'float32');
  const v: Reader = (t) => wasm.typedArrayFromHeap(t) as Float32Array;
  const sigView = attrs.silu ? v(sigOf(sig)) : undefined;
  const native = nativeKernels();
  if (native) {
    native.groupNormBackward(
      dims,
      { dy: v(dy), x: v(x), gamma: v(gamma), beta: v(beta), mean: v(mean), rstd: v(rstd), sig: sigView },
      { dx: v(dx), dgamma: v(dgamma), dbeta: v(dbeta) },
    );
  } else {
    groupNormBackward(dims, v(dy), v(x), v(gamma), v(beta), v(mean), v(rstd), sigView, v(dx), v(dgamma), v(dbeta));
  }
  return [dx, dgamma, dbeta];
}

function sigOf(sig: tf.TensorInfo | undefined): tf.TensorInfo {
  if (!sig) throw new Error(`${GROUP_NORM_GRAD_KERNEL}: with silu the input 'sig' (σ(a) from the forward) is required`);
  return sig;
}

function forwardCpu(cpu: CpuBackendLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, attrs: ForwardAttrs): tf.TensorInfo[] {
  const dims = dimsOf(x, attrs.groups);
  const r: Reader = (t) => cpu.data.get(t.dataId).values as Float32Array;
  const size = dims.n * dims.s * dims.c;
  const mean = new Float32Array(dims.n * dims.g);
  const rstd = new Float32Array(dims.n * dims.g);
  const y = new Float32Array(size);
  groupNormStats(dims, r(x), attrs.eps, mean, rstd);
  groupNormAffine(dims, r(x), r(gamma), r(beta), mean, rstd, y);
  const stats = [dims.n, dims.g];
  const outs = [cpu.makeTensorInfo(stats, 'float32', mean), cpu.makeTensorInfo(stats, 'float32', rstd)];
  if (attrs.silu) {
    const sig = new Float32Array(size);
    sigmoidInto(y, sig);
    for (let i = 0; i < size; i++) y[i] *= sig[i];
    outs.push(cpu.makeTensorInfo(x.shape, 'float32', sig));
  }
  return [cpu.makeTensorInfo(x.shape, 'float32', y), ...outs];
}

function backwardCpu(cpu: CpuBackendLike, inputs: GradInputs, attrs: ForwardAttrs): tf.TensorInfo[] {
  const { dy, x, gamma, beta, mean, rstd, sig } = inputs;
  const dims = dimsOf(x, attrs.groups);
  const r: Reader = (t) => cpu.data.get(t.dataId).values as Float32Array;
  const dx = new Float32Array(dims.n * dims.s * dims.c);
  const dgamma = new Float32Array(dims.c);
  const dbeta = new Float32Array(dims.c);
  const sigValues = attrs.silu ? r(sigOf(sig)) : undefined;
  groupNormBackward(dims, r(dy), r(x), r(gamma), r(beta), r(mean), r(rstd), sigValues, dx, dgamma, dbeta);
  return [
    cpu.makeTensorInfo(x.shape, 'float32', dx),
    cpu.makeTensorInfo([dims.c], 'float32', dgamma),
    cpu.makeTensorInfo([dims.c], 'float32', dbeta),
  ];
}

type GradInputs = Record<'dy' | 'x' | 'gamma' | 'beta' | 'mean' | 'rstd', tf.TensorInfo> & { sig?: tf.TensorInfo };

function forwardKernel(backend: tf.KernelBackend, inputs: tf.NamedTensorInfoMap, attrs: ForwardAttrs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  return 'typedArrayFromHeap' in backend
    ? forwardWasm(backend as WasmBackendLike, x, gamma, beta, attrs)
    : forwardCpu(backend as CpuBackendLike, x, gamma, beta, attrs);
}

function backwardKernel(backend: tf.KernelBackend, inputs: tf.NamedTensorInfoMap, attrs: ForwardAttrs): tf.TensorInfo[] {
  const grads = inputs as unknown as GradInputs;
  return 'typedArrayFromHeap' in backend
    ? backwardWasm(backend as WasmBackendLike, grads, attrs)
    : backwardCpu(backend as CpuBackendLike, grads, attrs);
}

const fusion = fusionSwitch([
  [GROUP_NORM_KERNEL, ({ inputs, backend, attrs }) => forwardKernel(backend as tf.KernelBackend, inputs, attrs as unknown as ForwardAttrs)],
  [GROUP_NORM_GRAD_KERNEL, ({ inputs, backend, attrs }) => backwardKernel(backend as tf.KernelBackend, inputs, attrs as unknown as ForwardAttrs)],
]);

/** Registers the fused GroupNorm kernels for `cpu` and `wasm` (idempotent; the registry is global). */
export function registerGroupNormKernels(): void {
  fusion.register();
}

/**
 * Turns the fused GroupNorm(+SiLU) kernels on or off process-wide (for benchmarks and A/B checks); when off,
 * {@link GroupNorm} uses the op-graph path on every backend.
 *
 * @param enabled whether {@link fusedGroupNormAvailable} may report true. @default true (initial state)
 */
export function setGroupNormFusion(enabled: boolean): void {
  fusion.setEnabled(enabled);
}

/**
 * Whether the fused GroupNorm(+SiLU) kernels run on the current backend: fusion is enabled and the backend is one
 * with the fused kernels (`cpu`, `wasm`). Other backends (tensorflow, webgl) keep the op-graph path.
 */
export function fusedGroupNormAvailable(): boolean {
  return fusion.available();
}

/**
 * Fused GroupNorm with affine, optionally followed by SiLU, on NHWC `x`: one kernel call forward and one backward
 * (gradients for `x`, `gamma` and `beta`). Biased variance as in PyTorch. Call only when
 * {@link fusedGroupNormAvailable} is true.
 *
 * @param x `[N, H, W, C]` float32.
 * @param gamma `[C]` scale.
 * @param beta `[C]` shift.
 * @param groups number of channel groups; divides `C`.
 * @param eps added to the variance.
 * @param silu apply SiLU (`a·σ(a)`) to the normalised output.
 */
export function fusedGroupNormSilu(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  groups: number,
  eps: number,
  silu: boolean,
): tf.Tensor4D {
  const attrs = { groups, eps, silu };
  const op = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, ...stats] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x: xIn, gamma: gIn, beta: bIn }, attrs) as tf.Tensor[];
    save([xIn, gIn, bIn, ...stats]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sb, sm, sr, sig] = saved;
        const inputs: tf.NamedTensorMap = { dy, x: sx, gamma: sg, beta: sb, mean: sm, rstd: sr };
        if (sig) inputs.sig = sig;
        return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta) as tf.Tensor4D;
}
