/**
 * The `ifsq` quantizer plugin definition. Imports no TensorFlow.js at module load: the implementation is loaded
 * lazily in `create`, so the CLI can list and validate plugins without tfjs.
 */
import type { PluginDefinition, Quantizer } from '@ifsq/core';
import { FsqOptionsSchema } from './options-schema.js';

/**
 * `ifsq` quantizer plugin: iFSQ (`bound: ifsq`) or vanilla FSQ (`bound: tanh`).
 *
 * Written as a typed object literal rather than through `definePlugin` (an identity function) so that loading this
 * module loads nothing from `@ifsq/core` at run time — only types.
 */
export const ifsq: PluginDefinition<'quantizer', typeof FsqOptionsSchema, Quantizer> = {
  name: 'ifsq',
  kind: 'quantizer',
  apiVersion: '1',
  description: 'iFSQ / FSQ finite scalar quantizer (bound 2σ(αz)−1 or tanh) with index codecs and bin diagnostics.',
  options: FsqOptionsSchema,
  defaults: { levels: [9, 9, 9, 9], bound: 'ifsq', alpha: 1.6, indexOrder: 'little', latentMultiplier: 1 },
  traits: () => ({ produces: 'discrete' }),
  async create(_ctx, options) {
    const { FsqQuantizer } = await import('./quantizer.js');
    const { bits, channels, levels, ...rest } = options;
    // The [9,9,9,9] default of "levels" is merged in even when the user wrote "bits"; "bits" then wins.
    return bits !== undefined
      ? new FsqQuantizer({ ...rest, bits, channels })
      : new FsqQuantizer({ ...rest, levels: levels ?? [9, 9, 9, 9], channels });
  },
};

export default ifsq;
