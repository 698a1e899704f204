import { toHostPair, type ImageBatchLike } from './image-batch.js';

/** Options of {@link psnr}. */
export interface PsnrOptions {
  /** Peak-to-peak range of the data (1 for [0,1] images, 2 for [-1,1], 255 for bytes). Required: never guessed. */
  dataRange: number;
}

/**
 * Peak signal-to-noise ratio per image, `10·log10(R² / mse)` with the mean squared error over H, W and C, computed
 * in float64. Identical images have mse = 0 and get `+Infinity` (no cap here; the `psnr` metric plugin decides how
 * to report them).
 *
 * @param x reference batch `[N,H,W,C]`
 * @param y test batch `[N,H,W,C]`
 * @returns one value per image
 * @example
 * ```ts
 * const values = psnr(original, reconstruction, { dataRange: 1 }); // Float64Array(N) in dB
 * ```
 */
export function psnr(x: ImageBatchLike, y: ImageBatchLike, options: PsnrOptions): Float64Array {
  const R = options.dataRange;
  if (!(R > 0)) throw new Error(`psnr: option dataRange must be a positive number, got ${String(R)}`);
  const [a, b] = toHostPair(x, y, 'psnr');
  const per = a.h * a.w * a.c;
  const out = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) {
    let se = 0;
    for (let p = i * per; p < (i + 1) * per; p++) se += (a.data[p] - b.data[p]) ** 2;
    const mse = se / per;
    out[i] = mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((R * R) / mse);
  }
  return out;
}
