import * as tf from '@tensorflow/tfjs';
import { Module } from './module.js';
import { assertPositiveInt } from './linear.js';
import { silu } from './activations.js';
import { fusedGroupNormAvailable, fusedGroupNormSilu } from '../backend/wasm/group-norm.js';
import { fusedLayerNorm, fusedLayerNormAvailable } from '../backend/wasm/layer-norm.js';

export { setGroupNormFusion } from '../backend/wasm/group-norm.js';

// Variances are computed as mean((x − mean)²) with sub/square/mean: tf.moments uses squaredDifference with
// broadcasting, whose gradient is wrong in tfjs 4.22.

/** Normalise `x` over `axes` to zero mean and unit variance (biased variance, like PyTorch). */
function standardize(x: tf.Tensor, axes: number[], eps: number): tf.Tensor {
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes, true);
  return tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Number of channel groups; must divide `numChannels`. */
  numGroups: number;
  /** Channels (last axis of the NHWC input). */
  numChannels: number;
  /** Added to the variance. @default 1e-6 (the tokenizer reference's value; PyTorch's own default is 1e-5) */
  eps?: number;
  /** Learn a per-channel scale `weight` (ones) and shift `bias` (zeros). @default true */
  affine?: boolean;
}

/** Group normalisation of NHWC tensors: statistics per sample and channel group over H, W and the group's channels. */
export class GroupNorm extends Module {
  /** `[C]` scale, or undefined without affine. */
  readonly weight: tf.Variable | undefined;
  /** `[C]` shift, or undefined without affine. */
  readonly bias: tf.Variable | undefined;
  /** Number of groups. */
  readonly numGroups: number;
  /** Channels. */
  readonly numChannels: number;
  /** Variance epsilon. */
  readonly eps: number;

  constructor(options: GroupNormOptions) {
    super();
    const { numGroups, numChannels } = options;
    assertPositiveInt('GroupNorm', 'numGroups', numGroups);
    assertPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-6;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParameter('weight', tf.ones([numChannels])) : undefined;
    this.bias = affine ? this.addParameter('bias', tf.zeros([numChannels])) : undefined;
  }

  /** Apply to `x` `[N, H, W, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.#apply(x, false);
  }

  /**
   * GroupNorm followed by SiLU, `silu(forward(x))`. On `cpu` and `wasm` (with affine) this is one fused kernel
   * forward and one backward instead of ~10–20 small ones; other backends compose the ops.
   */
  forwardSilu(x: tf.Tensor4D): tf.Tensor4D {
    return this.#apply(x, true);
  }

  #apply(x: tf.Tensor4D, withSilu: boolean): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.numChannels) {
      throw new Error(`GroupNorm: expected input [N,H,W,${this.numChannels}] (NHWC), got [${x.shape.join(',')}]`);
    }
    if (this.weight && this.bias && x.dtype === 'float32' && fusedGroupNormAvailable()) {
      return fusedGroupNormSilu(x, this.weight, this.bias, this.numGroups, this.eps, withSilu);
    }
    const [n, h, w, c] = x.shape;
    const g = this.numGroups;
    return tf.tidy(() => {
      const grouped = tf.reshape(x, [n, h * w, g, c / g]);
      let y = tf.reshape(standardize(grouped, [1, 3], this.eps), [n, h, w, c]);
      if (this.weight) y = tf.mul(y, this.weight);
      if (this.bias) y = tf.add(y, this.bias);
      return (withSilu ? silu(y) : y) as tf.Tensor4D;
    });
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Size of the last axis, which is normalised. */
  dim: number;
  /** Added to the variance. @default 1e-5 */
  eps?: number;
  /** Learn a scale `weight` (ones) and shift `bias` (zeros); `false` gives LayerNorm without affine. @default true */
  affine?: boolean;
  /** With `affine`, whether to learn the shift `bias`. @default true */
  bias?: boolean;
}

/** Layer normalisation over the last axis (PyTorch `nn.LayerNorm(dim)`). */
export class LayerNorm extends Module {
  /** `[dim]` scale, or undefined without affine. */
  readonly weight: tf.Variable | undefined;
  /** `[dim]` shift, or undefined. */
  readonly bias: tf.Variable | undefined;
  /** Normalised size. */
  readonly dim: number;
  /** Variance epsilon. */
  readonly eps: number;

  constructor(options: LayerNormOptions) {
    super();
    assertPositiveInt('LayerNorm', 'dim', options.dim);
    this.dim = options.dim;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParameter('weight', tf.ones([this.dim])) : undefined;
    this.bias = affine && (options.bias ?? true) ? this.addParameter('bias', tf.zeros([this.dim])) : undefined;
  }

  /** Apply to `x` `[..., dim]`. On `cpu` and `wasm` (with weight and bias) one fused kernel forward and backward. */
  forward<T extends tf.Tensor>(x: T): T {
    checkLastDim('LayerNorm', x, this.dim);
    if (this.weight && this.bias && x.dtype === 'float32' && fusedLayerNormAvailable()) {
      return fusedLayerNorm(x, this.weight, this.bias, this.eps);
    }
    return tf.tidy(() => {
      let y = standardize(x, [x.rank - 1], this.eps);
      if (this.weight) y = tf.mul(y, this.weight);
      if (this.bias) y = tf.add(y, this.bias);
      return y as T;
    });
  }
}

/** Options of {@link RMSNorm}. */
export interface RMSNormOptions {
  /** Size of the last axis, which is normalised. */
  dim: number;
  /** Added to the mean square. @default 1e-6 */
  eps?: number;
  /** Learn a scale `weight` (ones). @default true */
  affine?: boolean;
}

/** Root-mean-square normalisation over the last axis: `x / √(mean(x²) + eps) · weight`. */
export class RMSNorm extends Module {
  /** `[dim]` scale, or undefined without affine. */
  readonly weight: tf.Variable | undefined;
  /** Normalised size. */
  readonly dim: number;
  /** Epsilon. */
  readonly eps: number;

  constructor(options: RMSNormOptions) {
    super();
    assertPositiveInt('RMSNorm', 'dim', options.dim);
    this.dim = options.dim;
    this.eps = options.eps ?? 1e-6;
    this.weight = (options.affine ?? true) ? this.addParameter('weight', tf.ones([this.dim])) : undefined;
  }

  /** Apply to `x` `[..., dim]`. */
  forward<T extends tf.Tensor>(x: T): T {
    checkLastDim('RMSNorm', x, this.dim);
    return tf.tidy(() => {
      const meanSquare = tf.mean(tf.square(x), -1, true);
      let y = tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.eps)));
      if (this.weight) y = tf.mul(y, this.weight);
      return y as T;
    });
  }
}

function checkLastDim(layer: string, x: tf.Tensor, dim: number): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${layer}: expected input [..., ${dim}], got [${x.shape.join(',')}]`);
  }
}
