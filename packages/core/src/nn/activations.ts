import * as tf from '@tensorflow/tfjs';
import { fusedGelu, fusedGeluAvailable } from '../backend/wasm/gelu.js';

export { setGeluFusion } from '../backend/wasm/gelu.js';

/** SiLU (swish): `x·σ(x)`. */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)) as T);
}

/** Which GELU formula to use: the exact erf form, or the tanh approximation (`approximate='tanh'` in PyTorch). */
export type GeluVariant = 'erf' | 'tanh';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU. `'erf'`: `½x(1 + erf(x/√2))` (PyTorch's default). `'tanh'`: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`,
 * evaluated as `x·σ(2u)` (identical in exact arithmetic; sigmoid is vectorised on wasm where tanh is not).
 * On `cpu` and `wasm` a float32 `x` goes through one fused kernel forward and one backward (`backend/wasm/gelu.ts`,
 * see `setGeluFusion`); other backends and dtypes compose the ops.
 * @param variant formula. @default 'erf'
 */
export function gelu<T extends tf.Tensor>(x: T, variant: GeluVariant = 'erf'): T {
  if ((variant === 'erf' || variant === 'tanh') && x.dtype === 'float32' && fusedGeluAvailable()) {
    return fusedGelu(x, variant);
  }
  return tf.tidy(() => {
    if (variant === 'erf') return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T;
    if (variant === 'tanh') {
      const u = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(x, tf.sigmoid(tf.mul(u, 2))) as T;
    }
    throw new Error(`gelu: unknown variant "${String(variant)}", expected 'erf' or 'tanh'`);
  });
}
