/** Result of a backend decision: the tfjs backend name and a one-sentence reason. */
export interface BackendDecision {
  /** tfjs backend name (`wasm` or `cpu`). */
  name: 'wasm' | 'cpu';
  /** Why, in one sentence (names the missing kernels when wasm was rejected). */
  reason: string;
}

/** Kernel names registered per CPU backend, as reported by `tf.getKernelsForBackend(name)`. */
export interface RegisteredKernels {
  /** Kernels of the wasm backend (empty when it could not be loaded). */
  wasm: string[];
  /** Kernels of the pure-JS cpu backend. */
  cpu: string[];
}

/**
 * Pick the fastest CPU backend that has every kernel a run needs: wasm (SIMD, compiled kernels) when it registers
 * all of `requiredKernels`, else cpu. Pure: the caller collects the registered kernel names.
 *
 * @param requiredKernels - kernels the run needs ({@link TRAINING_KERNELS} or {@link INFERENCE_KERNELS}).
 * @param registered - kernels each backend registers.
 */
export function chooseCpuBackend(requiredKernels: readonly string[], registered: RegisteredKernels): BackendDecision {
  if (registered.wasm.length === 0) {
    return { name: 'cpu', reason: 'the wasm backend is not available, so the pure-JS cpu backend is used' };
  }
  const wasm = new Set(registered.wasm);
  const missing = requiredKernels.filter((k) => !wasm.has(k));
  if (missing.length === 0) {
    return { name: 'wasm', reason: `wasm registers all ${requiredKernels.length} kernels this run needs` };
  }
  const cpu = new Set(registered.cpu);
  const cpuMissing = requiredKernels.filter((k) => !cpu.has(k));
  const tail = cpuMissing.length > 0 ? ` (cpu also lacks ${cpuMissing.join(', ')})` : '';
  return { name: 'cpu', reason: `wasm lacks ${missing.join(', ')}, so the cpu backend is used${tail}` };
}
