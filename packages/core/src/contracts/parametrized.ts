import type * as tf from '@tensorflow/tfjs';

/**
 * An object with named tensors that belong in a checkpoint. Names are stable dotted paths, like a PyTorch
 * state dict (`encoder.down.0.block.1.conv1.weight`), so weights can be exchanged with reference code.
 */
export interface Parametrized {
  /** Trainable variables by dotted name. */
  namedParameters(): Map<string, tf.Variable>;
  /** Non-trainable state (running statistics, EMA counts, ...) by dotted name; saved in checkpoints too. */
  namedBuffers(): Map<string, tf.Variable>;
}
