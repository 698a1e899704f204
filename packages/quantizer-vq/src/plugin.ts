import type { PluginDefinition, Quantizer } from '@ifsq/core';
import { VQ_DEFAULTS, VqOptionsSchema } from './options.js';

/**
 * The `vq` quantizer plugin: a VQ-VAE codebook bottleneck (see {@link VectorQuantizer}).
 *
 * This module imports neither TensorFlow.js nor `@ifsq/core` at run time, so pipelines can be validated without
 * loading TensorFlow.js; `create` loads the implementation lazily.
 */
export const vq: PluginDefinition<'quantizer', typeof VqOptionsSchema, Quantizer> = {
  name: 'vq',
  kind: 'quantizer',
  apiVersion: '1',
  description: 'Vector quantizer (VQ-VAE): nearest-neighbour codebook with EMA, k-means init and dead-code restart.',
  options: VqOptionsSchema,
  defaults: { ...VQ_DEFAULTS },
  traits: () => ({ produces: 'discrete' }),
  create: async (ctx, options) => {
    const { VectorQuantizer } = await import('./vq-quantizer.js');
    return new VectorQuantizer({ ...options, seed: ctx.rng.seed() });
  },
};
