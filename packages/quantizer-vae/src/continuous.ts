import * as tf from '@tensorflow/tfjs';
import { Module, SeededRng } from '@ifsq/core';
import type { LatentSpec, QuantizeOptions, QuantizeResult, Quantizer } from '@ifsq/core';
import { resolveAeOptions, resolveVaeOptions, type AeOptions, type VaeOptions } from './options.js';

/** Lower clamp of the VAE log-variance. */
export const LOGVAR_MIN = -30;
/** Upper clamp of the VAE log-variance. */
export const LOGVAR_MAX = 20;

function continuousSpec(o: AeOptions): LatentSpec {
  return {
    channels: o.latentChannels,
    kind: 'continuous',
    valueRange: null,
    bitsPerValue: o.bitsPerValue,
    valuesPerPosition: o.latentChannels,
    scale: o.scale,
  };
}

function noIndices(name: string): never {
  throw new Error(
    `${name} quantizer produces continuous latents and has no indices; use a discrete quantizer (ifsq, vq) ` +
      `for stages that need indices`,
  );
}

function checkChannels(name: string, z: tf.Tensor4D, expected: number, what: string): void {
  const c = z.shape[3];
  if (c !== expected) throw new Error(`${name} quantizer: input has ${c} channels, expected ${what} = ${expected}`);
}

/**
 * Diagnostics shared by continuous bottlenecks (same keys as the other quantizers where they apply): mean and
 * population variance of all code values, and the stored bits per value.
 */
function codeStats(codes: tf.Tensor, spec: LatentSpec): Record<string, number> {
  const [mean, variance] = tf.tidy(() => {
    const m = tf.moments(codes);
    return [m.mean.dataSync()[0], m.variance.dataSync()[0]];
  });
  return { latent_mean: mean, latent_var: variance, bits_per_value: spec.bitsPerValue };
}

/**
 * Plain autoencoder bottleneck (`ae`): the codes are the backbone's latent itself, deterministic in training and
 * evaluation, with no auxiliary loss. Input and codes have `latentChannels` channels.
 */
export class AeQuantizer extends Module implements Quantizer {
  /** Resolved options. */
  readonly options: Readonly<AeOptions>;
  readonly spec: LatentSpec;
  readonly inputChannels: number;

  constructor(options: Partial<AeOptions> = {}) {
    super();
    this.options = Object.freeze(resolveAeOptions(options, 'ae'));
    this.spec = continuousSpec(this.options);
    this.inputChannels = this.options.latentChannels;
  }

  quantize(z: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    checkChannels('ae', z, this.inputChannels, 'latentChannels');
    const codes = tf.clone(z);
    const stats = options.collectStats ? codeStats(codes, this.spec) : {};
    return { codes, auxLoss: tf.scalar(0), stats };
  }

  codesToIndices(_codes?: tf.Tensor4D): tf.Tensor {
    return noIndices('ae');
  }

  indicesToCodes(_indices?: tf.Tensor): tf.Tensor4D {
    return noIndices('ae');
  }
}

/** Constructor options of {@link VaeQuantizer}: any {@link VaeOptions} plus the seed of its sampling noise. */
export interface VaeQuantizerInit extends Partial<VaeOptions> {
  /** Seed of the reparameterisation noise stream (one draw per training call). @default 0 */
  seed?: number;
}

/**
 * Diagonal-Gaussian VAE bottleneck (`vae`). The input `[B,h,w,2d]` is split along channels into the mean μ
 * (first d) and the log-variance (last d, clamped to [−30, 20]). In training the codes are the reparameterised
 * sample `μ + σ·ε` (ε standard normal from a seeded stream, so gradients reach μ and log σ²); in evaluation they
 * are the mode μ. `auxLoss = klWeight · KL`, with `KL = ½ Σ_{h,w,c} (μ² + σ² − 1 − log σ²)` per sample, averaged
 * over the batch.
 */
export class VaeQuantizer extends Module implements Quantizer {
  /** Resolved options. */
  readonly options: Readonly<VaeOptions>;
  readonly spec: LatentSpec;
  readonly inputChannels: number;
  readonly #rng: SeededRng;

  constructor(init: VaeQuantizerInit = {}) {
    super();
    const { seed = 0, ...rest } = init;
    this.options = Object.freeze(resolveVaeOptions(rest));
    this.spec = continuousSpec(this.options);
    this.inputChannels = 2 * this.options.latentChannels;
    this.#rng = new SeededRng(`vae/${seed}`);
  }

  quantize(z: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    checkChannels('vae', z, this.inputChannels, '2 × latentChannels');
    const training = options.training ?? false;
    // The caller's per-step seed makes a resumed run draw the same noise; otherwise the quantizer's own stream.
    const noiseSeed = training ? (options.seed ?? this.#rng.seed()) : 0;
    const d = this.options.latentChannels;
    const out = tf.tidy(() => {
      const [mean, rawLogvar] = tf.split(z, [d, d], 3) as [tf.Tensor4D, tf.Tensor4D];
      const logvar = tf.clipByValue(rawLogvar, LOGVAR_MIN, LOGVAR_MAX);
      const variance = tf.exp(logvar);
      const codes = training
        ? (tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal(mean.shape, 0, 1, 'float32', noiseSeed))) as tf.Tensor4D)
        : tf.clone(mean);
      const perElement = tf.mul(0.5, tf.sub(tf.sub(tf.add(tf.square(mean), variance), 1), logvar));
      const kl = tf.mean(tf.sum(perElement, [1, 2, 3])) as tf.Scalar;
      const auxLoss = tf.mul(kl, this.options.klWeight) as tf.Scalar;
      return { codes, auxLoss, kl, logvar };
    });
    let stats: Record<string, number> = {};
    try {
      if (options.collectStats) {
        stats = codeStats(out.codes, this.spec);
        stats.kl = out.kl.dataSync()[0];
        stats.logvar_mean = tf.tidy(() => tf.mean(out.logvar).dataSync()[0]);
      }
    } finally {
      tf.dispose([out.kl, out.logvar]);
    }
    return { codes: out.codes, auxLoss: out.auxLoss, stats };
  }

  codesToIndices(_codes?: tf.Tensor4D): tf.Tensor {
    return noIndices('vae');
  }

  indicesToCodes(_indices?: tf.Tensor): tf.Tensor4D {
    return noIndices('vae');
  }
}
