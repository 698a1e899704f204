/**
 * Trainable wasm path (issue 6). Placeholder until the wasm kernels land: loads the stock wasm backend only.
 */
export async function prepareWasmBackend(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
}
