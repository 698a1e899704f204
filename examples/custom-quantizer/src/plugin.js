/**
 * Plugin entry of the hard-clamp quantizer. This module only describes the plugin (name, kind, options schema,
 * defaults, traits): it imports neither TensorFlow.js nor the implementation, so `ifsq plugins` and
 * `ifsq validate` stay fast. `create` loads the implementation on demand.
 */

/** @typedef {{ levels: number[] }} ClampOptions */

/** JSON Schema of the options (written by hand: plain JSON Schema needs no TypeBox). */
export const clampOptionsSchema = {
  type: 'object',
  properties: {
    levels: {
      type: 'array',
      description: 'Number of levels L per latent channel; codes are L evenly spaced values in [-1, 1].',
      items: { type: 'integer', minimum: 2, maximum: 1024 },
      minItems: 1,
      maxItems: 16,
    },
  },
  required: ['levels'],
  additionalProperties: false,
};

/**
 * The `clamp` quantizer plugin (kind `quantizer`, plugin API 1). Write `quantizer: "@ifsq/example-custom-quantizer"`
 * (or `@ifsq/example-custom-quantizer#clamp`) in a pipeline file.
 *
 * @type {import('@ifsq/core').PluginDefinition<'quantizer', any, import('./clamp-quantizer.js').ClampQuantizer>}
 */
const clampQuantizerPlugin = {
  name: 'clamp',
  kind: 'quantizer',
  apiVersion: '1',
  description: 'Hard-clamp scalar quantizer: clamp(z,-1,1) rounded to L levels per channel',
  options: clampOptionsSchema,
  defaults: { levels: [5, 5, 5, 5] },
  traits: () => ({ produces: 'discrete' }),
  create: async (ctx, options) => {
    const { ClampQuantizer } = await import('./clamp-quantizer.js');
    return new ClampQuantizer(ctx.tf, /** @type {ClampOptions} */ (options));
  },
};

export default clampQuantizerPlugin;
