import { Type, type Static } from '@sinclair/typebox';
import type { LatentScale } from '@ifsq/core';

/**
 * Options of the `ae` and `vae` continuous bottlenecks, shared by the plugins (validated from a pipeline file) and
 * by {@link AeQuantizer} / {@link VaeQuantizer} (used from code). This module does not import TensorFlow.js.
 */
export interface AeOptions {
  /** Channels d of the latent codes `[B,h,w,d]`. @default 4 */
  latentChannels: number;
  /**
   * Bits each latent value is stored with, for bits-per-value and compression-ratio reports. The paper's
   * diffusion baseline is "AE (16-bit)".
   * @default 16
   */
  bitsPerValue: number;
  /**
   * Scaling diffusion generators apply to the codes (see {@link normalizeLatent}): a constant multiplier, or a
   * per-channel mean/std (usually measured by the `encode` stage with {@link measureLatentScale}).
   * @default { kind: "constant", factor: 1 }
   */
  scale: LatentScale;
}

/** Options of the `vae` bottleneck: those of {@link AeOptions} plus the KL weight. */
export interface VaeOptions extends AeOptions {
  /**
   * Weight of the KL term `½ Σ (μ² + σ² − 1 − log σ²)` (per sample, batch-averaged) in `auxLoss`. The iFSQ
   * repo's VAE script uses 1e-6.
   * @default 1e-6
   */
  klWeight: number;
}

/** Default options of the `ae` bottleneck. */
export const AE_DEFAULTS: Readonly<AeOptions> = Object.freeze({
  latentChannels: 4,
  bitsPerValue: 16,
  scale: { kind: 'constant', factor: 1 } as LatentScale,
});

/** Default options of the `vae` bottleneck. */
export const VAE_DEFAULTS: Readonly<VaeOptions> = Object.freeze({ ...AE_DEFAULTS, klWeight: 1e-6 });

/** JSON Schema (TypeBox) of a {@link LatentScale}. */
export const LatentScaleSchema = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('constant'),
        factor: Type.Number({ description: 'Multiplier applied to every channel (SD-VAE uses 0.18215).' }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('per-channel'),
        mean: Type.Array(Type.Number(), { minItems: 1, description: 'Mean of each channel.' }),
        std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
          minItems: 1,
          description: 'Standard deviation of each channel (> 0).',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Latent scaling for diffusion generators: constant factor or per-channel mean/std.' },
);

const aeProperties = {
  latentChannels: Type.Integer({
    minimum: 1,
    default: AE_DEFAULTS.latentChannels,
    description: 'Channels d of the latent codes.',
  }),
  bitsPerValue: Type.Number({
    exclusiveMinimum: 0,
    default: AE_DEFAULTS.bitsPerValue,
    description: 'Bits per stored latent value, for compression-ratio reports.',
  }),
  scale: LatentScaleSchema,
};

/** JSON Schema (TypeBox) of the `ae` options. */
export const AeOptionsSchema = Type.Object(aeProperties, { additionalProperties: false });

/** JSON Schema (TypeBox) of the `vae` options. */
export const VaeOptionsSchema = Type.Object(
  {
    ...aeProperties,
    klWeight: Type.Number({
      minimum: 0,
      default: VAE_DEFAULTS.klWeight,
      description: 'Weight of the KL term in the auxiliary loss.',
    }),
  },
  { additionalProperties: false },
);

// Compile-time checks that the schemas and the documented interfaces describe the same options.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const aeSchemaMatches: SameKeys<Static<typeof AeOptionsSchema>, AeOptions> = true;
const vaeSchemaMatches: SameKeys<Static<typeof VaeOptionsSchema>, VaeOptions> = true;
void aeSchemaMatches;
void vaeSchemaMatches;

/**
 * Check a latent scale against the number of channels; returns it unchanged or throws an error naming `where`
 * and the problem.
 */
export function checkLatentScale(scale: LatentScale, channels: number, where = 'scale'): LatentScale {
  if (scale.kind === 'constant') {
    if (!Number.isFinite(scale.factor) || scale.factor === 0) {
      throw new Error(`${where}: constant factor must be a finite non-zero number, got ${scale.factor}`);
    }
    return scale;
  }
  if (scale.kind !== 'per-channel') {
    throw new Error(`${where}: kind must be "constant" or "per-channel", got ${JSON.stringify((scale as { kind: unknown }).kind)}`);
  }
  if (scale.mean.length !== channels || scale.std.length !== channels) {
    throw new Error(
      `${where}: per-channel mean and std must have ${channels} entries (one per channel), got ` +
        `${scale.mean.length} and ${scale.std.length}`,
    );
  }
  scale.mean.forEach((m, i) => {
    if (!Number.isFinite(m)) throw new Error(`${where}: mean[${i}] must be finite, got ${m}`);
  });
  scale.std.forEach((s, i) => {
    if (!(Number.isFinite(s) && s > 0)) throw new Error(`${where}: std[${i}] must be a finite number > 0, got ${s}`);
  });
  return scale;
}

/** Fill defaults and check every `ae` option, with an error naming the field and what was expected. */
export function resolveAeOptions(options: Partial<AeOptions> = {}, name = 'ae'): AeOptions {
  const o: AeOptions = { ...AE_DEFAULTS, ...options };
  if (!(Number.isInteger(o.latentChannels) && o.latentChannels >= 1)) {
    throw new Error(`${name} quantizer: option "latentChannels" must be an integer ≥ 1, got ${o.latentChannels}`);
  }
  if (!(o.bitsPerValue > 0)) {
    throw new Error(`${name} quantizer: option "bitsPerValue" must be a number > 0, got ${o.bitsPerValue}`);
  }
  checkLatentScale(o.scale, o.latentChannels, `${name} quantizer: option "scale"`);
  return o;
}

/** Fill defaults and check every `vae` option. */
export function resolveVaeOptions(options: Partial<VaeOptions> = {}): VaeOptions {
  const klWeight = options.klWeight ?? VAE_DEFAULTS.klWeight;
  if (!(klWeight >= 0)) throw new Error(`vae quantizer: option "klWeight" must be a number ≥ 0, got ${klWeight}`);
  return { ...resolveAeOptions(options, 'vae'), klWeight };
}
