/**
 * `@ifsq/quantizer-vae`: continuous VAE and plain AE bottlenecks for ifsq tokenizers, and the latent scaling
 * (`normalizeLatent` / `denormalizeLatent`) every continuous tokenizer's latents go through before a diffusion
 * generator sees them.
 * @packageDocumentation
 */
export { AeQuantizer, VaeQuantizer, LOGVAR_MIN, LOGVAR_MAX, type VaeQuantizerInit } from './continuous.js';
export {
  AE_DEFAULTS,
  VAE_DEFAULTS,
  AeOptionsSchema,
  VaeOptionsSchema,
  LatentScaleSchema,
  checkLatentScale,
  resolveAeOptions,
  resolveVaeOptions,
  type AeOptions,
  type VaeOptions,
} from './options.js';
export { normalizeLatent, denormalizeLatent, withScale } from './scale.js';
/** The per-channel scale meter lives in @ifsq/core (the `encode` stage uses it); re-exported for convenience. */
export { measureLatentScale, LatentScaleMeter } from '@ifsq/core';
export { vae, ae } from './plugin.js';
