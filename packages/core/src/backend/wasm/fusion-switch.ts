import * as tf from '@tensorflow/tfjs';

/** Backends that get ifsq's fused kernels (JavaScript over typed arrays on `cpu`, SIMD C on `wasm`). */
export const FUSED_BACKENDS: readonly string[] = Object.freeze(['cpu', 'wasm']);

/** The registration and process-wide on/off state of one family of fused kernels (see {@link fusionSwitch}). */
export interface FusionSwitch {
  /** Registers the kernels for every fused backend that lacks them (idempotent; the registry is global). */
  register(): void;
  /** Turns the family on or off process-wide (for benchmarks and A/B checks). Initially on. */
  setEnabled(enabled: boolean): void;
  /** Whether the kernels run on the current backend: enabled, and the backend is in {@link FUSED_BACKENDS}. */
  available(): boolean;
}

/** A {@link FusionSwitch} for `kernels` (name and function of each). */
export function fusionSwitch(kernels: ReadonlyArray<readonly [string, tf.KernelFunc]>): FusionSwitch {
  let enabled = true;
  const register = () => {
    for (const backendName of FUSED_BACKENDS) {
      for (const [kernelName, kernelFunc] of kernels) {
        if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
      }
    }
  };
  return {
    register,
    setEnabled: (on) => {
      enabled = on;
    },
    available: () => {
      if (!enabled || !FUSED_BACKENDS.includes(tf.getBackend())) return false;
      register();
      return true;
    },
  };
}
