import * as tf from '@tensorflow/tfjs';
import { registerFastBatchMatMul } from './batch-matmul.js';
import { registerConvGradients } from './conv-gradients.js';
import { registerConvKernels } from './conv-kernels.js';
import { registerSharedIdentity } from './identity-kernel.js';
import { registerReduceKernels } from './reduce-kernels.js';
import { registerResizeNearestGradient } from './resize-gradient.js';
import { initWasmThreads, type WasmThreadsInfo } from './threads.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

/** Kernels this package registers (or replaces) for the `wasm` backend. */
const TRAINING_KERNELS = [
  'BatchMatMul',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'Identity',
  'Mean',
  'Sum',
  'UnsortedSegmentSum',
] as const;

/** Kernels whose tfjs gradient this package replaces (globally, for every backend). */
const GRADIENT_OVERRIDES = ['Conv2D', 'Conv2DBackpropInput', 'ResizeNearestNeighbor'] as const;

const READY_KEY = Symbol.for('@ifsq/core.wasm.prepared');
const THREADS_KEY = Symbol.for('@ifsq/core.wasm.threads');

/** Options of {@link prepareWasmBackend}. */
export interface PrepareWasmOptions {
  /**
   * XNNPACK threads of the wasm backend (see {@link initWasmThreads}); only honoured by the call that starts the
   * backend. @default 1
   */
  threads?: number;
}

/**
 * Loads `@tensorflow/tfjs-backend-wasm` and installs the trainable, fast wasm path: the missing
 * `Conv2DBackpropFilter` and `UnsortedSegmentSum` kernels, a `BatchMatMul` and a `Conv2DBackpropInput` that run on
 * the XNNPACK fast paths, an `Identity` that shares buffers instead of copying, `Sum`/`Mean` without transposes,
 * and conv gradients built from fast kernels; with `threads > 1`, starts the backend on that many threads.
 * Idempotent and safe to call concurrently; call it before `tf.setBackend('wasm')`.
 *
 * The gradient overrides are global (tfjs has one gradient registry): they stay exact on every backend and make
 * conv filter gradients ~17× faster on `cpu` too.
 *
 * @returns the thread count of the first call that asked for more than one thread (or 1 thread).
 */
export async function prepareWasmBackend(options: PrepareWasmOptions = {}): Promise<WasmThreadsInfo> {
  const g = globalThis as unknown as Record<symbol, Promise<unknown> | undefined>;
  let ready = g[READY_KEY] as Promise<void> | undefined;
  if (ready == null) {
    ready = (async () => {
      await import('@tensorflow/tfjs-backend-wasm');
      registerConvGradients();
      registerResizeNearestGradient();
      registerConvKernels();
      registerFastBatchMatMul();
      registerUnsortedSegmentSum();
      registerSharedIdentity();
      registerReduceKernels();
    })();
    g[READY_KEY] = ready;
    ready.catch(() => {
      g[READY_KEY] = undefined;
    });
  }
  await ready;
  const requested = options.threads ?? 1;
  let threads = g[THREADS_KEY] as Promise<WasmThreadsInfo> | undefined;
  if (threads == null || requested > 1) {
    const previous = threads;
    threads = (async () => {
      const before = previous ? await previous : undefined;
      if (before && before.threads > 1) return { ...before, requested };
      return initWasmThreads(requested);
    })();
    g[THREADS_KEY] = threads;
  }
  return threads;
}

/** Names of the kernels {@link prepareWasmBackend} registers or replaces for `wasm`. */
export function wasmTrainingKernels(): string[] {
  return [...TRAINING_KERNELS];
}

/** Names of the kernels whose gradients {@link prepareWasmBackend} replaces. */
export function wasmGradientOverrides(): string[] {
  return [...GRADIENT_OVERRIDES];
}

/**
 * The kernels among `kernelNames` that have no `wasm` implementation in the current registry — the capability
 * check for choosing wasm for a run. Call after {@link prepareWasmBackend}; an empty result means every kernel is
 * present.
 *
 * @param kernelNames Kernel names the run executes (for example collected with `tf.profile` on a small batch).
 */
export function missingWasmKernels(kernelNames: Iterable<string>): string[] {
  const missing = new Set<string>();
  for (const name of kernelNames) if (!tf.getKernel(name, 'wasm')) missing.add(name);
  return [...missing].sort();
}
