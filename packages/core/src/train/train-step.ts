import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';

/** Arguments of {@link trainStep}. */
export interface TrainStepArgs {
  /** Scalar loss built from the variables; runs on the gradient tape. Must be synchronous. */
  lossFn: () => tf.Scalar;
  /** Optimizer that applies the (clipped) gradients. */
  optimizer: AdamW;
  /** Variables to differentiate, by name. @default optimizer.params */
  variables?: ReadonlyMap<string, tf.Variable>;
  /** Global gradient-norm limit (torch `clip_grad_norm_`); `undefined` or `Infinity` measures without clipping. */
  clipNorm?: number;
  /** Learning rate of this step. @default optimizer.lr */
  lr?: number;
}

/** Outcome of {@link trainStep}. */
export interface TrainStepResult {
  /** Loss value before the update. */
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

/**
 * One optimisation step: gradients of `lossFn` with `tf.variableGrads`, global-norm clipping, an AdamW update.
 * Every intermediate tensor is freed, also when `lossFn` throws (the error is rethrown).
 */
export function trainStep(args: TrainStepArgs): TrainStepResult {
  const { lossFn, optimizer } = args;
  const variables = args.variables ?? optimizer.params;
  if (variables.size === 0) throw new Error('trainStep: no variables to train');
  const nameOf = new Map<string, string>();
  for (const [name, v] of variables) nameOf.set(v.name, name);
  const varList = [...variables.values()];

  let failure: { error: unknown } | undefined;
  // When lossFn throws mid-tape, tfjs keeps the tensors it saved for the backward pass; finishing the gradient
  // computation on a zero loss that touches a variable lets tfjs release them, after which the error is rethrown.
  const guarded = (): tf.Scalar => {
    try {
      return lossFn();
    } catch (error) {
      failure = { error };
      return tf.mul(tf.sum(varList.find((v) => v.trainable) ?? varList[0]), 0) as tf.Scalar;
    }
  };

  const engine = tf.engine();
  engine.startScope('trainStep');
  try {
    let result: ReturnType<typeof tf.variableGrads> | undefined;
    try {
      result = tf.variableGrads(guarded, varList);
    } catch (error) {
      throw failure ? failure.error : error;
    }
    if (failure) throw failure.error;
    const { value, grads } = result;
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) {
      const name = nameOf.get(tfName);
      if (name !== undefined && g) named.set(name, g);
    }
    const clipped = clipGradNorm(named, args.clipNorm ?? Infinity);
    optimizer.applyGradients(clipped.grads, args.lr);
    const [loss, gradNorm] = tf.stack([value, clipped.norm]).dataSync();
    return { loss, gradNorm };
  } finally {
    // Frees every tensor created in the step (gradients, clipped copies, the loss), also on errors.
    engine.endScope(undefined);
  }
}
