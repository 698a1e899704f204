import * as tf from '@tensorflow/tfjs';

/**
 * The stock wasm kernel configs this package replaces, captured once per process (a global symbol, so two
 * copies of this module — sources and built output — never capture each other's replacement as "stock").
 */
const STOCK_KEY = Symbol.for('@ifsq/core.wasm.stockKernels');

type StockMap = Map<string, tf.KernelConfig>;

function stockMap(): StockMap {
  const g = globalThis as unknown as Record<symbol, StockMap | undefined>;
  let m = g[STOCK_KEY];
  if (m == null) {
    m = new Map();
    g[STOCK_KEY] = m;
  }
  return m;
}

/** Records the current wasm config of `kernelName` as the stock one, unless one is already recorded. */
export function captureStockKernel(kernelName: string): tf.KernelConfig | undefined {
  const m = stockMap();
  const existing = m.get(kernelName);
  if (existing) return existing;
  const current = tf.getKernel(kernelName, 'wasm');
  if (current) m.set(kernelName, current);
  return current;
}

/** The stock wasm kernel for `kernelName`: the captured original if replaced, else the registered one. */
export function stockKernel(kernelName: string): tf.KernelConfig {
  const k = stockMap().get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (!k) throw new Error(`wasm training path: kernel '${kernelName}' is not registered for backend 'wasm'`);
  return k;
}

/**
 * Replaces the wasm kernel `kernelName` with `kernelFunc`, keeping the stock kernel's setup function, and the stock
 * config for {@link stockKernel} (so the replacement can fall back to it). Idempotent.
 */
export function replaceWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const stock = captureStockKernel(kernelName);
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock?.setupFunc, kernelFunc });
}
