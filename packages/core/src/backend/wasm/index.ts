/**
 * Trainable, fast wasm path (issue 6): kernels and gradients that make `@tensorflow/tfjs-backend-wasm` train conv
 * nets and transformers at XNNPACK speed, on every core.
 */
export {
  prepareWasmBackend,
  wasmTrainingKernels,
  wasmGradientOverrides,
  missingWasmKernels,
  type PrepareWasmOptions,
  type PreparedWasmInfo,
} from './prepare.js';
export { defaultWasmThreads, initWasmThreads, MAX_WASM_THREADS, type WasmThreadsInfo, type WasmThreadsHooks } from './threads.js';
