import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';
import { Module } from './module.js';
import { resolveInitializer, type Initializer, type InitializerName } from './init.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Size of the last input dimension. */
  inFeatures: number;
  /** Size of the last output dimension. */
  outFeatures: number;
  /** Random stream the initial weights are drawn from. */
  rng: Rng;
  /** Whether to add a learned bias. @default true */
  bias?: boolean;
  /** Weight initializer. @default 'torchDefaultWeight' */
  weightInit?: Initializer | InitializerName;
  /** Bias initializer. @default 'torchDefaultBias' */
  biasInit?: Initializer | InitializerName;
}

/**
 * Fully connected layer `y = x·W + b` over the last axis of `x`.
 *
 * Parameters: `weight` of shape `[in, out]` (so tfjs `matMul` needs no transpose) and `bias` `[out]`.
 * PyTorch stores `weight` as `[out, in]`; convert with {@link Linear.toTorchLayout} / {@link Linear.fromTorchLayout}.
 */
export class Linear extends Module {
  /** `[in, out]`. */
  readonly weight: tf.Variable;
  /** `[out]`, or undefined without bias. */
  readonly bias: tf.Variable | undefined;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  constructor(options: LinearOptions) {
    super();
    const { inFeatures, outFeatures, rng } = options;
    assertPositiveInt('Linear', 'inFeatures', inFeatures);
    assertPositiveInt('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const fans = { fanIn: inFeatures, fanOut: outFeatures };
    this.weight = this.addParameter(
      'weight',
      resolveInitializer(options.weightInit ?? 'torchDefaultWeight')([inFeatures, outFeatures], fans, rng),
    );
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', resolveInitializer(options.biasInit ?? 'torchDefaultBias')([outFeatures], fans, rng));
  }

  /** Apply to `x` of shape `[..., inFeatures]`; returns `[..., outFeatures]`. */
  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (last !== this.inFeatures) {
      throw new Error(`Linear: input last dimension is ${last}, expected inFeatures = ${this.inFeatures}`);
    }
    return tf.tidy(() => {
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]);
      let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, this.weight as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }

  /** Convert one of this layer's tensors (`weight` `[in,out]` → `[out,in]`; `bias` unchanged) to PyTorch layout. */
  static toTorchLayout(name: string, t: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(t, [1, 0]) : tf.clone(t);
  }

  /** Convert a PyTorch tensor of `nn.Linear` (`weight` `[out,in]`) to this layer's layout (`[in,out]`). */
  static fromTorchLayout(name: string, t: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(t, [1, 0]) : tf.clone(t);
  }
}

/** Throw a clear error unless `value` is a positive integer. */
export function assertPositiveInt(layer: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${layer}: ${field} must be a positive integer, got ${String(value)}`);
  }
}
