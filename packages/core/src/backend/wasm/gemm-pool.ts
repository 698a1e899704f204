// The process-wide ThreadedGemm of the wasm training path: started once by prepareWasmBackend, used by the kernels.
import type * as tf from '@tensorflow/tfjs';
import type { WasmBackendLike } from './kernel-calls.js';
import { type GemmDims, type SharedHeap, ThreadedGemm } from './native-gemm.js';

const GEMM_KEY = Symbol.for('@ifsq/core.wasm.threadedGemm');

interface GemmSlot {
  started?: Promise<ThreadedGemm | undefined>;
  gemm?: ThreadedGemm;
  enabled: boolean;
}

function slot(): GemmSlot {
  const g = globalThis as unknown as Record<symbol, GemmSlot | undefined>;
  return (g[GEMM_KEY] ??= { enabled: true });
}

/**
 * Starts the process-wide {@link ThreadedGemm} on `threads` threads (inside `heap` when given), once: later calls
 * resolve to the first one whatever they ask for (like the wasm backend's own thread pool). Resolves to `undefined`
 * when the runtime cannot run it.
 */
export function startThreadedGemm(threads: number, heap?: SharedHeap): Promise<ThreadedGemm | undefined> {
  const s = slot();
  s.started ??= ThreadedGemm.start(threads, heap).then(
    (gemm) => (s.gemm = gemm),
    () => undefined,
  );
  return s.started;
}

/** The process-wide {@link ThreadedGemm} once started, while enabled and working, else `undefined`. */
export function threadedGemm(): ThreadedGemm | undefined {
  const s = slot();
  return s.enabled && s.gemm?.broken === undefined ? s.gemm : undefined;
}

/**
 * Turns routing of matrix products to the {@link ThreadedGemm} on or off process-wide (for benchmarks and A/B
 * checks); when off, {@link threadedGemm} is `undefined` and products run on XNNPACK.
 *
 * @param enabled whether {@link threadedGemm} may return the started instance. @default true (initial state)
 */
export function setThreadedGemm(enabled: boolean): void {
  slot().enabled = enabled;
}

/**
 * `out = op(a)·op(b)` for float32 tensors of the wasm backend on `gemm` (in place when it runs inside tfjs' threaded
 * heap). Returns false when the GEMM broke during the call — it has retired itself, and the caller falls back to its
 * own path and frees `out`; other errors propagate.
 */
export function multiplyTensors(
  gemm: ThreadedGemm,
  backend: WasmBackendLike,
  [a, b, out]: [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo],
  dims: GemmDims,
): boolean {
  const [va, vb, vout] = [a, b, out].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  try {
    gemm.multiply(va, vb, vout, dims);
    return true;
  } catch (error) {
    if (gemm.broken === undefined) throw error;
    return false;
  }
}
