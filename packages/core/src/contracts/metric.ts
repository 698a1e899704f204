import type * as tf from '@tensorflow/tfjs';
import type { LatentSpec } from './latent-spec.js';

/** One batch of evidence for a streaming metric. Metrics use the fields they need and ignore the rest. */
export interface MetricBatch {
  /** Reference images `[B,H,W,C]` in [-1,1]. */
  real?: tf.Tensor4D;
  /** Reconstructed or generated images `[B,H,W,C]` in [-1,1]. */
  fake?: tf.Tensor4D;
  /** Quantized codes `[B,h,w,d]` of the batch (continuous or discrete tokenizers). */
  codes?: tf.Tensor;
  /** Discrete indices of the batch (int32). */
  indices?: tf.Tensor;
  /** Bounded pre-rounding latent values `[B,h,w,d]` (for KS / bin diagnostics). */
  preQuant?: tf.Tensor;
  /** The latent spec of the tokenizer that produced this batch. */
  spec?: LatentSpec;
}

/** A metric value with the facts needed to reproduce it. */
export interface MetricResult {
  /** Named values (`psnr`, `psnr_std`, `ssim_skimage`, ...). */
  values: Record<string, number>;
  /** How the numbers were produced: extractor, weights hash, image count, resize, variant, ... */
  provenance: Record<string, unknown>;
}

/**
 * A streaming metric: `reset`, then `update` per batch, then `compute`. Its state is a JSON-serialisable value
 * that can be merged with another shard's state, so evaluations can be split and combined.
 */
export interface Metric<State = unknown> {
  /** Metric name as reported. */
  readonly name: string;
  /** Forget all evidence. */
  reset(): void;
  /** Add one batch of evidence; does not dispose the batch's tensors. */
  update(batch: MetricBatch): void | Promise<void>;
  /** Compute the result from the evidence so far. */
  compute(): MetricResult | Promise<MetricResult>;
  /** A serialisable snapshot of the accumulated evidence. */
  state(): State;
  /** Fold another shard's state into this one. */
  merge(other: State): void;
}
