import * as tf from '@tensorflow/tfjs';
import { fusionSwitch } from './fusion-switch.js';
import { geluBackward, geluForward, type GeluForm } from './gelu-math.js';
import type { WasmBackendLike } from './kernel-calls.js';
import { nativeKernels } from './native-kernels.js';

/**
 * Kernel name of the fused GELU forward: input `x`, attrs `approximate` (tanh form when true) and `withDerivative`;
 * outputs `y`, and with `withDerivative` also `dydx = GELU'(x)` (saved for a backward that is then one multiply).
 */
export const GELU_KERNEL = 'IfsqGelu';
/** Kernel name of its backward: inputs `dy, x`, attr `approximate`; output `dx`. */
export const GELU_GRAD_KERNEL = 'IfsqGeluGrad';

// The fused kernels run, on `wasm`, the SIMD C kernels of `packages/core/native` (the float64 JS loops
// of `gelu-math.ts` when WebAssembly SIMD is unavailable), on `cpu` the JS loops.

interface GeluAttrs {
  approximate: boolean;
  withDerivative?: boolean;
}

/** The parts of the tfjs-cpu backend object the kernels touch. */
interface CpuBackendLike extends tf.KernelBackend {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** Allocates a float32 output like `like` and reads float32 values on whichever of the two backends runs the kernel. */
interface Io {
  /** Allocates the output (on wasm an allocation may grow the heap and detach earlier views: call it first). */
  output(like: tf.TensorInfo): tf.TensorInfo;
  /** The values of an input or of the output. */
  view(t: tf.TensorInfo): Float32Array;
}

function ioFor(backend: tf.KernelBackend): Io {
  if ('typedArrayFromHeap' in backend) {
    const wasm = backend as WasmBackendLike;
    return {
      output: (like) => wasm.makeOutput(like.shape, 'float32'),
      view: (t) => wasm.typedArrayFromHeap(t) as Float32Array,
    };
  }
  const cpu = backend as CpuBackendLike;
  return {
    output: (like) => cpu.makeTensorInfo(like.shape, 'float32', new Float32Array(tf.util.sizeFromShape(like.shape))),
    view: (t) => cpu.data.get(t.dataId).values as Float32Array,
  };
}

function checkFloat32(kernel: string, name: string, t: tf.TensorInfo): void {
  if (t.dtype !== 'float32') throw new Error(`${kernel}: expected float32 '${name}', got ${t.dtype}`);
}

const formOf = (attrs: GeluAttrs): GeluForm => (attrs.approximate ? 'tanh' : 'erf');

function forwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = inputs as { x: tf.TensorInfo };
  checkFloat32(GELU_KERNEL, 'x', x);
  const kb = backend as tf.KernelBackend;
  const io = ioFor(kb);
  const a = attrs as unknown as GeluAttrs;
  const y = io.output(x);
  const dydx = a.withDerivative ? io.output(x) : undefined;
  const form = formOf(a);
  const native = 'typedArrayFromHeap' in kb ? nativeKernels() : undefined;
  const g = dydx && io.view(dydx);
  if (native) native.geluForward(io.view(x), io.view(y), form === 'tanh' ? 1 : 0, g);
  else geluForward(io.view(x), io.view(y), form, g);
  return dydx ? [y, dydx] : y;
}

function backwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  checkFloat32(GELU_GRAD_KERNEL, 'x', x);
  checkFloat32(GELU_GRAD_KERNEL, 'dy', dy);
  if (!tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`${GELU_GRAD_KERNEL}: 'dy' [${dy.shape.join(',')}] must have the shape of 'x' [${x.shape.join(',')}]`);
  }
  const kb = backend as tf.KernelBackend;
  const io = ioFor(kb);
  const dx = io.output(x);
  const form = formOf(attrs as unknown as GeluAttrs);
  const native = 'typedArrayFromHeap' in kb ? nativeKernels() : undefined;
  if (native) native.geluBackward(io.view(dy), io.view(x), io.view(dx), form === 'tanh' ? 1 : 0);
  else geluBackward(io.view(dy), io.view(x), io.view(dx), form);
  return dx;
}

const fusion = fusionSwitch([
  [GELU_KERNEL, forwardKernel as unknown as tf.KernelFunc],
  [GELU_GRAD_KERNEL, backwardKernel as unknown as tf.KernelFunc],
]);

/** Registers the fused GELU kernels for `cpu` and `wasm` (idempotent; the registry is global). */
export function registerGeluKernels(): void {
  fusion.register();
}

/**
 * Turns the fused GELU kernels on or off process-wide (for benchmarks and A/B checks); when off,
 * {@link fusedGeluAvailable} is false and callers use the op graph.
 *
 * @param enabled whether {@link fusedGeluAvailable} may report true. @default true (initial state)
 */
export function setGeluFusion(enabled: boolean): void {
  fusion.setEnabled(enabled);
}

/** Whether the fused GELU kernels run on the current backend (fusion enabled, backend `cpu` or `wasm`). */
export function fusedGeluAvailable(): boolean {
  return fusion.available();
}

/**
 * Fused GELU: one kernel call forward and one backward instead of ~10 elementwise ops each way (under a gradient
 * tape the forward also saves GELU'(x) and the backward is one multiply). `'erf'`:
 * `x·Φ(x) = ½x(1 + erf(x/√2))`; `'tanh'`: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`. Within 1e-6 relative (the
 * gradient within 2e-6 of the size of its terms), also for x ≪ 0 where the op graph's `1 + erf` cancels. Call only when {@link fusedGeluAvailable} is true.
 *
 * @param x float32 tensor of any shape.
 * @param variant formula. @default 'erf'
 */
export function fusedGelu<T extends tf.Tensor>(x: T, variant: GeluForm = 'erf'): T {
  if (variant !== 'erf' && variant !== 'tanh') {
    throw new Error(`fusedGelu: unknown variant "${String(variant)}", expected 'erf' or 'tanh'`);
  }
  const approximate = variant === 'tanh';
  // Recording a gradient tape: the forward also writes GELU'(x) (most of its work is shared), and the backward is
  // one multiply. Otherwise (inference) only y, and a backward would run IfsqGeluGrad from x.
  const withDerivative = tf.engine().isTapeOn();
  const op = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const out = tf.engine().runKernel(GELU_KERNEL, { x: xIn }, { approximate, withDerivative });
    const [y, dydx] = Array.isArray(out) ? out : [out];
    save(dydx ? [xIn, dydx] : [xIn]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        saved.length === 2
          ? tf.mul(dy, saved[1])
          : (tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: saved[0] }, { approximate }) as tf.Tensor),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as T;
}
