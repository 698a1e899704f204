import type * as tf from '@tensorflow/tfjs';

/** Tensors by name: a `Map`, or a plain record (as returned by `tf.variableGrads`). */
export type NamedTensors<T extends tf.Tensor = tf.Tensor> = ReadonlyMap<string, T> | Readonly<Record<string, T>>;

/** View {@link NamedTensors} as a `Map` (no copy of tensors). */
export function toTensorMap<T extends tf.Tensor>(named: NamedTensors<T>): ReadonlyMap<string, T> {
  return named instanceof Map ? named : new Map(Object.entries(named as Record<string, T>));
}
