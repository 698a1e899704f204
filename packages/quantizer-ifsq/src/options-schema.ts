/**
 * TypeBox schema of the `ifsq` quantizer plugin's options. No TensorFlow.js import: the CLI validates pipelines
 * with it before loading tfjs.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Options schema of the `ifsq` quantizer plugin. */
export const FsqOptionsSchema = Type.Object(
  {
    levels: Type.Optional(
      Type.Array(Type.Integer({ minimum: 2 }), {
        minItems: 1,
        description: 'Levels per latent dimension (odd for bound "ifsq", e.g. [9,9,9,9]). Exclusive with "bits".',
        default: [9, 9, 9, 9],
      }),
    ),
    bits: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16,
        description: 'Bits per dimension: L = 2^bits + 1 levels on each of "channels" dimensions. Exclusive with "levels".',
      }),
    ),
    channels: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Latent dimensions d when "bits" is used.', default: 4 }),
    ),
    bound: Type.Optional(
      Type.Union([Type.Literal('ifsq'), Type.Literal('tanh')], {
        description: '"ifsq": 2σ(αz)−1 (odd levels only); "tanh": the FSQ reference bound with eps, shift and offset.',
        default: 'ifsq',
      }),
    ),
    alpha: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Slope α of the iFSQ bound 2σ(αz)−1.', default: 1.6 }),
    ),
    indexOrder: Type.Optional(
      Type.Union([Type.Literal('little'), Type.Literal('big')], {
        description: 'Mixed-radix digit order of indices: "little" (official code) or "big" (paper Algorithm 1).',
        default: 'little',
      }),
    ),
    groups: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), {
        minItems: 1,
        description: 'Sizes of consecutive dimension groups with their own index, e.g. [2,2] → indices [B,h,w,2].',
      }),
    ),
    latentMultiplier: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Constant multiplier diffusion generators apply to codes (official DiT: 1.092421).',
        default: 1,
      }),
    ),
  },
  { additionalProperties: false },
);

/** Options of the `ifsq` quantizer plugin. */
export type FsqPluginOptions = Static<typeof FsqOptionsSchema>;
