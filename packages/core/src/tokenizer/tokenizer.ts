import * as tf from '@tensorflow/tfjs';
import type { Disposable } from '../contracts/disposable.js';
import type { Parametrized } from '../contracts/parametrized.js';
import type { QuantizeOptions, QuantizeResult, Quantizer } from '../contracts/quantizer.js';
import type { Rng } from '../contracts/services.js';

/**
 * The encoder/decoder half of a tokenizer, shared by every quantizer. It ends with a 1×1 conv into the quantizer
 * and starts decoding with a 1×1 conv out of it, so the quantizer owns only the bottleneck.
 */
export interface TokenizerBackbone extends Parametrized, Disposable {
  /** Spatial reduction factor (image side / latent side). */
  readonly downsampleFactor: number;
  /** Images `[B,H,W,C]` in [-1,1] → pre-quantization latent `[B,h,w,quantizerInputChannels]`. */
  encode(images: tf.Tensor4D): tf.Tensor4D;
  /** Codes `[B,h,w,codeChannels]` → images `[B,H,W,C]` (not clamped, as the reference). */
  decode(codes: tf.Tensor4D): tf.Tensor4D;
  /** Trainable variables, in a stable order. */
  trainableVariables(): tf.Variable[];
}

/** What a backbone plugin creates: a builder, because the shapes depend on the data and the quantizer. */
export interface BackboneFactory {
  /** Build a backbone for these shapes, initialised from `rng`. */
  build(shapes: { imageChannels: number; quantizerInputChannels: number; codeChannels: number }, rng: Rng): TokenizerBackbone;
}

/** Output of {@link Tokenizer.forward}. The caller disposes `reconstruction` and the quantize result's tensors. */
export interface TokenizerOutput {
  /** Reconstructed images `[B,H,W,C]`. */
  reconstruction: tf.Tensor4D;
  /** The quantizer's result for the batch. */
  quantized: QuantizeResult;
}

/** A backbone plus a quantizer: encode → quantize → decode, and one state dict for both. */
export class Tokenizer implements Disposable {
  /** @param backbone - shared encoder/decoder. @param quantizer - the bottleneck. */
  constructor(
    readonly backbone: TokenizerBackbone,
    readonly quantizer: Quantizer,
  ) {}

  /** Encode and quantize images. */
  encode(images: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    const z = this.backbone.encode(images);
    try {
      return this.quantizer.quantize(z, options);
    } finally {
      z.dispose();
    }
  }

  /** Decode codes into images. */
  decode(codes: tf.Tensor4D): tf.Tensor4D {
    return this.backbone.decode(codes);
  }

  /** Encode, quantize and decode. */
  forward(images: tf.Tensor4D, options: QuantizeOptions = {}): TokenizerOutput {
    const quantized = this.encode(images, options);
    return { reconstruction: this.decode(quantized.codes), quantized };
  }

  /** Trainable variables by dotted name (backbone names, quantizer names under `quantize.`). */
  namedTrainable(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>(this.backbone.namedParameters());
    for (const [n, v] of this.quantizer.namedParameters()) out.set(`quantize.${n}`, v);
    return out;
  }

  /**
   * Every parameter and buffer by dotted name: backbone names as they are, quantizer names under `quantize.`
   * (the reference's module name for the bottleneck).
   */
  stateDict(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [n, v] of this.backbone.namedParameters()) out.set(n, v);
    for (const [n, v] of this.backbone.namedBuffers()) out.set(n, v);
    for (const [n, v] of this.quantizer.namedParameters()) out.set(`quantize.${n}`, v);
    for (const [n, v] of this.quantizer.namedBuffers()) out.set(`quantize.${n}`, v);
    return out;
  }

  /** Dispose backbone and quantizer. */
  async dispose(): Promise<void> {
    this.backbone.dispose();
    await this.quantizer.dispose();
  }
}

/** Weights of the tokenizer loss terms. */
export interface TokenizerLossWeights {
  /** L1 reconstruction weight. @default 1 */
  l1: number;
  /** L2 (MSE) weight. @default 0 */
  l2: number;
  /** Perceptual weight (needs a perceptual function). @default 0 */
  perceptual: number;
}

/** A perceptual distance between two image batches in [-1,1], averaged to a scalar. */
export type PerceptualDistance = (x: tf.Tensor4D, y: tf.Tensor4D) => tf.Scalar;

/** Scalar parts of the tokenizer loss. */
export interface TokenizerLossParts {
  /** Weighted sum of every term, including the quantizer's auxiliary loss. */
  total: tf.Scalar;
  /** Unweighted mean absolute error. */
  l1: tf.Scalar;
  /** Unweighted mean squared error. */
  l2: tf.Scalar;
  /** Unweighted perceptual distance (zero when unused). */
  perceptual: tf.Scalar;
}

/**
 * The tokenizer objective: `l1·mean|x−x̂| + l2·mean(x−x̂)² + perceptual·P(x,x̂) + aux`, where `aux` is the quantizer's
 * auxiliary loss (commitment, KL, ...) already weighted by the quantizer.
 */
export function tokenizerLoss(
  images: tf.Tensor4D,
  reconstruction: tf.Tensor4D,
  aux: tf.Scalar,
  weights: TokenizerLossWeights,
  perceptual?: PerceptualDistance,
): TokenizerLossParts {
  if (weights.perceptual > 0 && !perceptual) {
    throw new Error('tokenizer loss: perceptualWeight > 0 needs a `tokenizer.perceptual` feature network');
  }
  const diff = tf.sub(reconstruction, images);
  const l1 = tf.mean(tf.abs(diff)) as tf.Scalar;
  const l2 = tf.mean(tf.square(diff)) as tf.Scalar;
  diff.dispose();
  const p = weights.perceptual > 0 && perceptual ? perceptual(images, reconstruction) : tf.scalar(0);
  const total = tf.tidy(() =>
    tf.addN([tf.mul(l1, weights.l1), tf.mul(l2, weights.l2), tf.mul(p, weights.perceptual), aux]),
  ) as tf.Scalar;
  return { total, l1, l2, perceptual: p };
}
