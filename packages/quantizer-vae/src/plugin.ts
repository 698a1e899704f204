import type { PluginDefinition, Quantizer } from '@ifsq/core';
import { AE_DEFAULTS, AeOptionsSchema, VAE_DEFAULTS, VaeOptionsSchema } from './options.js';

/*
 * The `vae` and `ae` quantizer plugins. This module imports neither TensorFlow.js nor `@ifsq/core` at run time,
 * so pipelines can be validated without loading TensorFlow.js; `create` loads the implementation lazily.
 */

/** The `vae` quantizer plugin: diagonal-Gaussian VAE bottleneck with KL (see {@link VaeQuantizer}). */
export const vae: PluginDefinition<'quantizer', typeof VaeOptionsSchema, Quantizer> = {
  name: 'vae',
  kind: 'quantizer',
  apiVersion: '1',
  description: 'Continuous VAE bottleneck: mean/log-variance split, reparameterised sample, KL weighted by klWeight.',
  options: VaeOptionsSchema,
  defaults: structuredClone(VAE_DEFAULTS),
  traits: () => ({ produces: 'continuous' }),
  create: async (ctx, options) => {
    const { VaeQuantizer } = await import('./continuous.js');
    return new VaeQuantizer({ ...options, seed: ctx.rng.seed() });
  },
};

/** The `ae` quantizer plugin: deterministic continuous bottleneck, no KL (see {@link AeQuantizer}). */
export const ae: PluginDefinition<'quantizer', typeof AeOptionsSchema, Quantizer> = {
  name: 'ae',
  kind: 'quantizer',
  apiVersion: '1',
  description: 'Plain autoencoder bottleneck: deterministic continuous latent, no auxiliary loss.',
  options: AeOptionsSchema,
  defaults: structuredClone(AE_DEFAULTS),
  traits: () => ({ produces: 'continuous' }),
  create: async (_ctx, options) => {
    const { AeQuantizer } = await import('./continuous.js');
    return new AeQuantizer(options);
  },
};
