import * as tf from '@tensorflow/tfjs';
import { toTensorMap, type NamedTensors } from './named-tensors.js';

/** Result of {@link clipGradNorm}. */
export interface ClippedGradients {
  /** Clipped gradients by the same names (new tensors the caller owns). */
  grads: Map<string, tf.Tensor>;
  /** Global L2 norm of the gradients before clipping, as a scalar the caller owns. */
  norm: tf.Scalar;
}

/**
 * Global-norm gradient clipping with `torch.nn.utils.clip_grad_norm_` semantics: `norm = ‖concat(grads)‖₂`,
 * every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`. The input tensors are not modified or disposed.
 * Pass `maxNorm = Infinity` to only measure the norm.
 */
export function clipGradNorm(grads: NamedTensors, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const map = toTensorMap(grads);
  if (map.size === 0) throw new Error('clipGradNorm: no gradients given');
  const names = [...map.keys()];
  // tidy keeps tensors returned in arrays, not in Maps.
  const [norm, ...clipped] = tf.tidy(() => {
    const list = [...map.values()];
    const total = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
    if (maxNorm === Infinity) return [total, ...list.map((g) => tf.clone(g))];
    const coef = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
    return [total, ...list.map((g) => tf.mul(g, coef))];
  });
  return { grads: new Map(names.map((name, i) => [name, clipped[i]])), norm: norm as tf.Scalar };
}
