/**
 * Bits per latent value and compression ratio of a tokenizer (spec §9.9).
 */

/**
 * Mean information per latent value in bits: the mean of `log2(L_i)` over FSQ dimensions (17 → 4.0875).
 *
 * @param levels - Levels per dimension (FSQ), or a single-entry list `[K]` for a VQ codebook of size K.
 */
export function bitsPerValue(levels: readonly number[]): number {
  if (levels.length === 0) throw new RangeError('bitsPerValue: levels must not be empty');
  let sum = 0;
  for (const l of levels) {
    if (!(l >= 1)) throw new RangeError(`bitsPerValue: every level must be >= 1, got ${l}`);
    sum += Math.log2(l);
  }
  return sum / levels.length;
}

/** Shapes needed for a compression ratio. */
export interface CompressionInput {
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Image channels. @default 3 */
  channels?: number;
  /** Bits per image value. @default 8 */
  bitsPerPixelValue?: number;
  /** Latent grid height `h`. */
  latentHeight: number;
  /** Latent grid width `w`. */
  latentWidth: number;
  /** Latent values per position (`d` for FSQ/AE, 1 for VQ tokens). */
  valuesPerPosition: number;
  /** Bits per latent value (`log2 L` for FSQ, 16 for a bf16 AE, `log2 K` for VQ). */
  bitsPerValue: number;
}

/**
 * Compression ratio `CR = (H·W·C·8) / (h·w·d·b)`: image bits over latent bits.
 * Example: 256×256×3 images, f8 d4 iFSQ at 4 bits → 96.
 */
export function compressionRatio(input: CompressionInput): number {
  const { height, width, channels = 3, bitsPerPixelValue = 8, latentHeight, latentWidth, valuesPerPosition, bitsPerValue: b } =
    input;
  const latentBits = latentHeight * latentWidth * valuesPerPosition * b;
  if (!(latentBits > 0)) throw new RangeError(`compressionRatio: latent bits must be > 0, got ${latentBits}`);
  return (height * width * channels * bitsPerPixelValue) / latentBits;
}
