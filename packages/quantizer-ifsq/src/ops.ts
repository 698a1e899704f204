/**
 * The reference op path in TensorFlow.js: bound, scale, straight-through rounding (half to even), codes and
 * indices. Used for training (it carries gradients); inference uses the exact threshold fast path.
 */
import * as tf from '@tensorflow/tfjs';
import { type FsqConfig, tanhBoundConstants } from './config.js';

/**
 * Round half to even in the forward pass and pass the gradient through unchanged (straight-through estimator).
 * `tf.round`'s own gradient is zero, hence the custom gradient.
 */
export const roundSTE: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.round(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => dy,
})) as (x: tf.Tensor) => tf.Tensor;

/** Per-dimension constant vectors of the op path (shape `[d]`, broadcast over the last axis). */
function constants(config: FsqConfig): { h: number[]; shift: number[]; halfL: number[]; offset: number[] } {
  const c = config.levels.map((l) => tanhBoundConstants(l));
  return {
    h: config.levels.map((l) => (l - 1) / 2),
    shift: c.map((x) => x.shift),
    halfL: c.map((x) => x.halfL),
    offset: c.map((x) => x.offset),
  };
}

/**
 * Bounded pre-rounding values in (−1, 1), channels last: `2σ(αz)−1` for `ifsq`, `tanh(z + shift)` for `tanh`.
 * These are the values the KS statistic is computed on.
 */
export function boundedOp(z: tf.Tensor, config: FsqConfig): tf.Tensor {
  return tf.tidy(() => {
    if (config.bound === 'ifsq') return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, config.alpha)), 2), 1);
    return tf.tanh(tf.add(z, tf.tensor1d(constants(config).shift)));
  });
}

/** The value that is rounded: `y·(L−1)/2` for `ifsq`, `tanh(z + shift)·halfL − offset` for `tanh`. */
export function scaledOp(z: tf.Tensor, config: FsqConfig): tf.Tensor {
  return tf.tidy(() => {
    const c = constants(config);
    const y = boundedOp(z, config);
    if (config.bound === 'ifsq') return tf.mul(y, tf.tensor1d(c.h));
    const b = tf.mul(y, tf.tensor1d(c.halfL));
    return c.offset.some((o) => o !== 0) ? tf.sub(b, tf.tensor1d(c.offset)) : b;
  });
}

/** Codes `[..., d]` with straight-through gradient: `roundSTE(scaled) / floor(L/2)`. */
export function codesOp(z: tf.Tensor, config: FsqConfig): { codes: tf.Tensor; rounded: tf.Tensor } {
  return tf.tidy(() => {
    const rounded = roundSTE(scaledOp(z, config));
    return { codes: tf.div(rounded, tf.tensor1d(config.halfWidth)), rounded };
  });
}

/** Integer indices from rounded values `[..., d]`: `[...]` or `[..., G]` when factorized (int32, no gradient). */
export function indicesFromRoundedOp(rounded: tf.Tensor, config: FsqConfig): tf.Tensor {
  return tf.tidy(() => {
    const digits = tf.cast(tf.add(rounded, tf.tensor1d(config.halfWidth)), 'int32');
    const weighted = tf.mul(digits, tf.tensor1d(config.basis, 'int32'));
    if (!config.factorized) return tf.sum(weighted, -1);
    const parts = tf.split(weighted, config.groups, -1).map((p) => tf.sum(p, -1));
    return tf.stack(parts, -1);
  });
}

/** Reference indices of a latent via the op path (for tests and cross-checks). */
export function referenceIndicesOp(z: tf.Tensor, config: FsqConfig): tf.Tensor {
  return tf.tidy(() => indicesFromRoundedOp(tf.round(scaledOp(z, config)), config));
}
