import type * as tf from '@tensorflow/tfjs';
import type { Disposable } from './disposable.js';
import type { LatentKind } from './latent-spec.js';
import type { Parametrized } from './parametrized.js';

/** One training batch for a generator. Exactly one of `latents` or `indices` is set, per {@link Generator.accepts}. */
export interface GeneratorBatch {
  /** Continuous (already scaled) latents `[B,h,w,d]` for diffusion generators. */
  latents?: tf.Tensor4D;
  /** Integer indices `[B,h,w]` or `[B,h,w,G]` for autoregressive generators. */
  indices?: tf.Tensor;
  /** Class labels `[B]` (int32). */
  labels: tf.Tensor1D;
}

/** Options of a training-loss evaluation. */
export interface GeneratorLossOptions {
  /** Names of layers whose hidden states `[B,T,D]` should be returned (for aligners and analysis). @default [] */
  returnHidden?: string[];
  /** Seed for the step's noise / dropout, drawn from the run's RNG. */
  seed: number;
}

/** Result of a training-loss evaluation. */
export interface GeneratorLossResult {
  /** Scalar training loss. */
  loss: tf.Scalar;
  /** Requested hidden states by layer name. */
  hidden: Record<string, tf.Tensor3D>;
}

/** Options of {@link Generator.sample}. */
export interface SampleOptions {
  /** Classifier-free guidance scale; 1 disables guidance. @default 1 */
  cfgScale?: number;
  /** Number of sampling steps (diffusion) — ignored by autoregressive generators. */
  steps?: number;
  /** Sampling temperature (autoregressive). @default 1 */
  temperature?: number;
  /** Keep the k most likely tokens (autoregressive); 0 keeps all. @default 0 */
  topK?: number;
  /** Nucleus threshold (autoregressive); 1 keeps all. @default 1 */
  topP?: number;
  /** Seed of the sampling noise. */
  seed: number;
}

/** Samples from a generator, in the latent kind it works on. */
export interface GeneratorSamples {
  /** Continuous latents `[n,h,w,d]` (diffusion). */
  latents?: tf.Tensor4D;
  /** Indices `[n,h,w]` or `[n,h,w,G]` (autoregressive). */
  indices?: tf.Tensor;
}

/** An image generator working on a tokenizer's latents. */
export interface Generator extends Disposable, Parametrized {
  /** Latent kinds this generator can be trained on. */
  readonly accepts: readonly LatentKind[];
  /** Training loss on one batch (runs inside the gradient closure; must be synchronous). */
  loss(batch: GeneratorBatch, options: GeneratorLossOptions): GeneratorLossResult;
  /** Draw `n` samples conditioned on `labels` (`[n]`). */
  sample(n: number, labels: tf.Tensor1D, options: SampleOptions): Promise<GeneratorSamples>;
}
