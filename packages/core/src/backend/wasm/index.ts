/**
 * Trainable, fast wasm path (issue 6): kernels and gradients that make `@tensorflow/tfjs-backend-wasm` train conv
 * nets and transformers at XNNPACK speed.
 */
export { prepareWasmBackend, wasmTrainingKernels, wasmGradientOverrides, missingWasmKernels } from './prepare.js';
