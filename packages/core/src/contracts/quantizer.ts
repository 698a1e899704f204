import type * as tf from '@tensorflow/tfjs';
import type { Disposable } from './disposable.js';
import type { LatentSpec } from './latent-spec.js';
import type { Parametrized } from './parametrized.js';

/** Options of one {@link Quantizer.quantize} call. */
export interface QuantizeOptions {
  /**
   * Training mode: stochastic quantizers sample, EMA codebooks update, running statistics move.
   * @default false
   */
  training?: boolean;
  /**
   * Compute host-side diagnostics into {@link QuantizeResult.stats} (costs a device→host copy).
   * @default false
   */
  collectStats?: boolean;
  /**
   * Seed for any randomness of this call (VAE sampling, dead-code restarts), drawn by the caller from the run's RNG so
   * a resumed run repeats it exactly. Quantizers without randomness ignore it.
   */
  seed?: number;
}

/** What a quantizer returns for a latent `[B,h,w,d]`. */
export interface QuantizeResult {
  /** Continuous codes `[B,h,w,d]` with straight-through gradients: what the decoder and diffusion consume. */
  codes: tf.Tensor4D;
  /** Integer indices (int32) `[B,h,w]`, or `[B,h,w,G]` for G factorized groups; absent for continuous latents. */
  indices?: tf.Tensor;
  /** Auxiliary loss to add to the tokenizer loss (commitment/codebook, KL, ...); a zero scalar when none. */
  auxLoss: tf.Scalar;
  /**
   * Named scalar diagnostics (utilization, entropy, KS, ...). Filled only when `collectStats` is true; the
   * keys are stable so reports of different quantizers can be compared.
   */
  stats: Record<string, number>;
}

/**
 * A quantizer: the bottleneck of a tokenizer. It owns only the bottleneck; the encoder/decoder backbone is shared
 * by every quantizer so comparisons are fair.
 */
export interface Quantizer extends Disposable, Parametrized {
  /** Declaration of the latent space this quantizer produces. */
  readonly spec: LatentSpec;
  /** Channels the backbone must deliver into {@link Quantizer.quantize} (e.g. `2·d` for a VAE's mean and log-variance). */
  readonly inputChannels: number;
  /** Quantize a continuous latent `[B,h,w,inputChannels]`. */
  quantize(z: tf.Tensor4D, options?: QuantizeOptions): QuantizeResult;
  /** Map codes `[B,h,w,d]` to indices; throws for continuous quantizers. */
  codesToIndices(codes: tf.Tensor4D): tf.Tensor;
  /** Map indices back to codes `[B,h,w,d]`; throws for continuous quantizers. */
  indicesToCodes(indices: tf.Tensor): tf.Tensor4D;
  /**
   * Optional evaluation-time diagnostics of a pre-quantization latent `[B,h,w,inputChannels]` beyond
   * {@link QuantizeResult.stats} — e.g. an FSQ quantizer reports the KS statistic of the same latent under both the
   * iFSQ and the tanh bound (`ks_ifsq`, `ks_tanh`), so one trained encoder can be compared across bounds.
   */
  diagnose?(z: tf.Tensor4D): Record<string, number>;
  /**
   * Optional: the bounded values of a latent just before rounding (FSQ), for distribution metrics such as the KS
   * statistic against Uniform(−1,1). Evaluation passes them to metrics as `preQuant`.
   */
  boundedValues?(z: tf.Tensor4D): tf.Tensor4D;
}
