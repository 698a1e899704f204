import * as tf from '@tensorflow/tfjs';
import { registerFastBatchMatMul } from './batch-matmul.js';
import { registerConvGradients } from './conv-gradients.js';
import { registerConvKernels } from './conv-kernels.js';
import { registerElementwiseKernels } from './elementwise-kernels.js';
import { registerSharedIdentity } from './identity-kernel.js';
import { registerReduceKernels } from './reduce-kernels.js';
import { registerResizeNearestGradient } from './resize-gradient.js';
import { registerReverseKernel } from './reverse-kernel.js';
import { registerSliceKernels } from './slice-kernel.js';
import { registerSoftmaxKernel } from './softmax-kernel.js';
import { registerFastTranspose } from './transpose-kernel.js';
import type { SharedHeap, SharedMemory } from './native-gemm.js';
import { startThreadedGemm } from './gemm-pool.js';
import { moveNativeKernelsInto } from './native-kernels.js';
import { initWasmThreads, type WasmThreadsInfo } from './threads.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

/** Kernels this package registers (or replaces) for the `wasm` backend. */
const TRAINING_KERNELS = [
  'Add',
  'BatchMatMul',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'Identity',
  'Mean',
  'Multiply',
  'RealDiv',
  'Reverse',
  'Slice',
  'Softmax',
  'Square',
  'SplitV',
  'StridedSlice',
  'Sub',
  'Sum',
  'Transpose',
  'UnsortedSegmentSum',
] as const;

/** Kernels whose tfjs gradient this package replaces (globally, for every backend). */
const GRADIENT_OVERRIDES = ['Conv2D', 'Conv2DBackpropInput', 'ResizeNearestNeighbor'] as const;

const READY_KEY = Symbol.for('@ifsq/core.wasm.prepared');
const THREADS_KEY = Symbol.for('@ifsq/core.wasm.threads');

/** What {@link prepareWasmBackend} set up: the thread pool, and what runs the matrix products. */
export interface PreparedWasmInfo extends WasmThreadsInfo {
  /** One sentence: ifsq's GEMM with its threads and arithmetic, or XNNPACK and why. */
  readonly products: string;
}

/** Options of {@link prepareWasmBackend}. */
export interface PrepareWasmOptions {
  /**
   * XNNPACK threads of the wasm backend (see {@link initWasmThreads}); only honoured before the backend starts.
   * @default 1
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
 * @returns the threads asked for, the threads the backend runs (or will start with) and why, and what runs the
 *   matrix products.
 */
export async function prepareWasmBackend(options: PrepareWasmOptions = {}): Promise<PreparedWasmInfo> {
  const g = globalThis as unknown as Record<symbol, Promise<unknown> | undefined>;
  let ready = g[READY_KEY];
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
      registerFastTranspose();
      registerSliceKernels();
      registerElementwiseKernels();
      registerSoftmaxKernel();
      registerReverseKernel();
    })();
    g[READY_KEY] = ready;
    ready.catch(() => {
      g[READY_KEY] = undefined;
    });
  }
  await ready;
  // One start at a time: a call waits for the previous one, then sees whether the backend runs already.
  const threads = (g[THREADS_KEY] ?? Promise.resolve()).then(async () => {
    const info = await initWasmThreads(options.threads ?? 1);
    const heap = wasmSharedHeap();
    if (heap) moveNativeKernelsInto(heap);
    const gemm = await startThreadedGemm(info.threads, heap);
    const products = gemm
      ? `matrix products on ifsq's GEMM (${gemm.threads} thread(s), ${gemm.fma ? 'fused multiply-add' : 'plain SIMD'}${gemm.runsIn(heap?.memory) ? ', in place' : ''})`
      : 'matrix products on XNNPACK (the GEMM could not start: no WebAssembly SIMD, shared memory or worker threads)';
    return { ...info, products };
  });
  g[THREADS_KEY] = threads.catch(() => undefined);
  return threads;
}

/**
 * The running wasm backend's memory and allocator when that memory is shared (tfjs' threaded build), so the
 * threaded GEMM can work on tensors where they lie; else `undefined`. Never starts the backend.
 */
function wasmSharedHeap(): SharedHeap | undefined {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  const module = (registry.wasm as { wasm?: { wasmMemory?: SharedMemory; _malloc?: (bytes: number) => number } } | undefined)?.wasm;
  const memory = module?.wasmMemory;
  const malloc = module?._malloc;
  if (!memory || !malloc || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
  return { memory, malloc: (bytes) => malloc(bytes) >>> 0 };
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
