import * as tf from '@tensorflow/tfjs';

/**
 * Gradient-graph helpers built only from kernels every CPU backend registers (cpu and wasm), so the codebook can
 * be trained where `tf.gather`'s own gradient (which needs `UnsortedSegmentSum`) is missing.
 */

/** Identity in the forward pass, zero gradient in the backward pass: the `sg[·]` of the VQ losses. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((input) => ({
    value: (input as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/**
 * Straight-through estimator: the forward value is exactly `quantized`, the gradient flows to `z` unchanged
 * (identity), and `quantized` receives none. Equivalent to `z + sg[quantized − z]` without the rounding error of
 * the subtraction, so the codes stay bit-identical to codebook rows.
 */
export function straightThrough<T extends tf.Tensor>(z: T, quantized: T): T {
  const op = tf.customGrad(() => ({
    value: quantized.clone(),
    gradFunc: (dy: tf.Tensor) => dy.clone(),
  }));
  return op(z) as T;
}

/**
 * Rows `table[indices]` (`[N,e]` from a `[K,e]` table and int32 `[N]` indices). The gradient with respect to the
 * table is a scatter-add of the incoming gradient rows (`ScatterNd` sums duplicate indices), which tfjs-wasm
 * supports, unlike the `UnsortedSegmentSum` that `tf.gather`'s built-in gradient needs. The indices get no
 * gradient.
 */
export function lookupRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((t, save) => {
    const table = t as tf.Tensor;
    // Saved (cloned and kept by the engine) so the caller may dispose `indices` before the backward pass.
    (save as tf.GradSaveFunc)([indices]);
    return {
      value: tf.gather(table, indices),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(tf.expandDims(saved[0], 1), dy, table.shape),
    };
  });
  return op(table) as tf.Tensor2D;
}

/**
 * Run `fn` with the gradient tape paused and return its single result. Nothing `fn` computes is recorded or
 * saved for a backward pass, its intermediates are freed when it returns, and its result carries no gradient.
 *
 * Used for the nearest-code search and for side-effect updates (EMA, k-means, dead-code restart) that run inside
 * the training step's `tf.variableGrads` closure: there the tape would otherwise keep every distance chunk alive
 * until the backward pass. It relies on tfjs running a custom-gradient forward function with the tape off.
 */
export function untaped<T extends tf.Tensor>(fn: () => T): T {
  const op = tf.customGrad(() => ({ value: fn(), gradFunc: () => [] }));
  return op() as T;
}

/** Rows scaled to unit L2 norm (`x / max(‖x‖, 1e-12)`), like PyTorch's `F.normalize`. */
export function l2NormalizeRows<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as T;
  });
}
