import * as tf from '@tensorflow/tfjs';
import type { LatentScale, LatentSpec } from '@ifsq/core';
import { checkLatentScale } from './options.js';

/**
 * Latent scaling shared by every continuous tokenizer (AE, VAE, and iFSQ codes handed to a diffusion model):
 * generators call {@link normalizeLatent} on the tokenizer's codes before training or sampling, and
 * {@link denormalizeLatent} on their samples before the tokenizer decodes them. The scale travels in
 * `LatentSpec.scale`, so both directions always use the same numbers.
 */

/**
 * Codes `[..., d]` (channels last) → generator latents: `codes · factor` for a constant scale,
 * `(codes − mean_c) / std_c` per channel c for a per-channel scale.
 */
export function normalizeLatent<T extends tf.Tensor>(codes: T, scale: LatentScale): T {
  const channels = codes.shape[codes.rank - 1] ?? 1;
  checkLatentScale(scale, channels, 'normalizeLatent');
  return tf.tidy(() => {
    if (scale.kind === 'constant') return tf.mul(codes, scale.factor) as T;
    return tf.div(tf.sub(codes, tf.tensor1d(scale.mean)), tf.tensor1d(scale.std)) as T;
  });
}

/** Inverse of {@link normalizeLatent}: generator latents → codes the tokenizer's decoder consumes. */
export function denormalizeLatent<T extends tf.Tensor>(latents: T, scale: LatentScale): T {
  const channels = latents.shape[latents.rank - 1] ?? 1;
  checkLatentScale(scale, channels, 'denormalizeLatent');
  return tf.tidy(() => {
    if (scale.kind === 'constant') return tf.div(latents, scale.factor) as T;
    return tf.add(tf.mul(latents, tf.tensor1d(scale.std)), tf.tensor1d(scale.mean)) as T;
  });
}

/** A copy of `spec` carrying `scale` (checked against the spec's channel count). */
export function withScale(spec: LatentSpec, scale: LatentScale): LatentSpec {
  checkLatentScale(scale, spec.channels, 'withScale');
  const copy: LatentScale =
    scale.kind === 'constant' ? { ...scale } : { kind: 'per-channel', mean: [...scale.mean], std: [...scale.std] };
  return { ...spec, scale: copy };
}
