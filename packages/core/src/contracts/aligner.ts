import type * as tf from '@tensorflow/tfjs';
import type { Disposable } from './disposable.js';
import type { Parametrized } from './parametrized.js';

/** An auxiliary representation-alignment loss (REPA) computed from a generator's hidden states and the images. */
export interface Aligner extends Disposable, Parametrized {
  /** Name of the generator layer whose hidden states this aligner consumes. */
  readonly layer: string;
  /** Weight λ of the loss in the generator objective. */
  readonly weight: number;
  /** Unweighted alignment loss from hidden states `[B,T,D]` and images `[B,H,W,C]` in [-1,1]. */
  loss(hidden: tf.Tensor3D, images: tf.Tensor4D): tf.Scalar;
}
