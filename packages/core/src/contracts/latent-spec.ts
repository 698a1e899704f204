/**
 * What a tokenizer's latent looks like, declared by its quantizer so that generators, stages and metrics can
 * check compatibility before any tensor is computed.
 */
export type LatentKind = 'continuous' | 'discrete';

/**
 * How a latent is scaled before a diffusion generator consumes it: `latent_for_generator = (code - shift) * factor`
 * and the inverse before decoding.
 */
export type LatentScale =
  | {
      /** A single multiplier (the official iFSQ DiT config uses 1.092421; SD-VAE uses 0.18215). */
      kind: 'constant';
      /** Multiplier applied to every channel. */
      factor: number;
    }
  | {
      /** Per-channel standardisation measured on the training set (by the `encode` stage). */
      kind: 'per-channel';
      /** Mean of each channel, length = channels. */
      mean: number[];
      /** Standard deviation of each channel, length = channels. */
      std: number[];
    };

/** Declaration of a quantizer's latent space. */
export interface LatentSpec {
  /** Number of channels `d` of the codes `[B,h,w,d]`. */
  channels: number;
  /** `discrete` when the quantizer produces integer indices (FSQ, VQ); `continuous` otherwise (AE, VAE). */
  kind: LatentKind;
  /** Closed range of code values, or `null` when unbounded (AE/VAE). */
  valueRange: [number, number] | null;
  /** Per-channel number of levels (FSQ only). */
  levels?: number[];
  /**
   * Vocabulary size of each index group. One entry for a single index per position; G entries for factorized
   * indices `[B,h,w,G]`. Absent for continuous latents.
   */
  vocabSizes?: number[];
  /** Mixed-radix digit order used to form indices (FSQ only). */
  indexOrder?: 'little' | 'big';
  /**
   * Information per latent value in bits, used for bits-per-value and compression-ratio reports: `log2(L)` for
   * FSQ, `log2(K)` per token for VQ (one value per position), 16 for a bf16 continuous latent, 32 for float32.
   */
  bitsPerValue: number;
  /** Number of latent values stored per spatial position (d for FSQ/AE, 1 for VQ tokens). */
  valuesPerPosition: number;
  /** Scaling that diffusion generators apply to the codes. */
  scale: LatentScale;
}

/** Total number of discrete codewords of a spec (product of its vocabulary sizes), or 0 when continuous. */
export function codebookSize(spec: LatentSpec): number {
  if (spec.kind !== 'discrete' || !spec.vocabSizes) return 0;
  return spec.vocabSizes.reduce((a, b) => a * b, 1);
}
