import { channelPlane, toHostPair, type ImageBatchLike } from './image-batch.js';

/** SSIM variant (spec §9.2). */
export type SsimVariant = 'skimage' | 'gaussian';

/** Options of {@link ssim}. */
export interface SsimOptions {
  /**
   * `skimage`: scikit-image's default (7×7 uniform window, sample covariance, reflect padding, 3 px border
   * discarded) — what the iFSQ numbers use. `gaussian`: Wang et al. 11×11 Gaussian σ = 1.5, population
   * covariance, valid filtering (= pytorch-msssim).
   * @default 'skimage'
   */
  variant?: SsimVariant;
  /** Peak-to-peak range of the data; required (scikit-image silently guesses 2 for floats). */
  dataRange: number;
}

const K1 = 0.01;
const K2 = 0.03;

/** Normalised 1-D Gaussian window of `size` taps (odd) and standard deviation `sigma`. */
export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  const half = (size - 1) / 2;
  const w = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const total = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / total);
}

/** Mirror index for half-sample symmetric padding (`d c b a | a b c d`, scipy's `reflect`). */
function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/** Separable filtering of an `h×w` plane with reflect padding; output has the input's size. */
function filterReflect(plane: Float64Array, h: number, w: number, kernel: Float64Array): Float64Array {
  const r = (kernel.length - 1) / 2;
  const tmp = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += kernel[t + r] * plane[y * w + reflectIndex(x + t, w)];
      tmp[y * w + x] = s;
    }
  }
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += kernel[t + r] * tmp[reflectIndex(y + t, h) * w + x];
      out[y * w + x] = s;
    }
  }
  return out;
}

/**
 * Separable valid filtering of an `h×w` plane. An axis shorter than the kernel is not smoothed (pytorch-msssim's
 * behaviour). Returns the output and its size.
 */
function filterValid(plane: Float64Array, h: number, w: number, kernel: Float64Array): { out: Float64Array; oh: number; ow: number } {
  const k = kernel.length;
  const ow = w >= k ? w - k + 1 : w;
  const tmp = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      if (w < k) {
        tmp[y * ow + x] = plane[y * w + x];
        continue;
      }
      let s = 0;
      for (let t = 0; t < k; t++) s += kernel[t] * plane[y * w + x + t];
      tmp[y * ow + x] = s;
    }
  }
  const oh = h >= k ? h - k + 1 : h;
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      if (h < k) {
        out[y * ow + x] = tmp[y * ow + x];
        continue;
      }
      let s = 0;
      for (let t = 0; t < k; t++) s += kernel[t] * tmp[(y + t) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return { out, oh, ow };
}

/** SSIM of two single-channel `h×w` planes (float64), mean of the SSIM map as the variant defines it. */
export function ssimPlane(a: Float64Array, b: Float64Array, h: number, w: number, variant: SsimVariant, dataRange: number): number {
  const C1 = (K1 * dataRange) ** 2;
  const C2 = (K2 * dataRange) ** 2;
  const n = h * w;
  const aa = new Float64Array(n), bb = new Float64Array(n), ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  let maps: Float64Array[];
  let oh: number, ow: number, crop: number, covNorm: number;
  if (variant === 'skimage') {
    const win = 7;
    if (h < win || w < win) throw new Error(`ssim: the skimage variant needs images of at least 7×7, got ${h}×${w}`);
    const kernel = new Float64Array(win).fill(1 / win);
    maps = [a, b, aa, bb, ab].map((p) => filterReflect(p, h, w, kernel));
    oh = h;
    ow = w;
    crop = (win - 1) / 2;
    covNorm = (win * win) / (win * win - 1);
  } else {
    const kernel = gaussianWindow(11, 1.5);
    const f = [a, b, aa, bb, ab].map((p) => filterValid(p, h, w, kernel));
    maps = f.map((x) => x.out);
    oh = f[0].oh;
    ow = f[0].ow;
    crop = 0;
    covNorm = 1;
  }
  const [mx, my, mxx, myy, mxy] = maps;
  let total = 0;
  let count = 0;
  for (let y = crop; y < oh - crop; y++) {
    for (let x = crop; x < ow - crop; x++) {
      const i = y * ow + x;
      const ux = mx[i], uy = my[i];
      const vx = covNorm * (mxx[i] - ux * ux);
      const vy = covNorm * (myy[i] - uy * uy);
      const vxy = covNorm * (mxy[i] - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}

/**
 * Structural similarity per image (spec §9.2), computed in float64 on the host: per channel, then averaged over
 * channels. Both batches are `[N,H,W,C]` and used as given; pass the data range explicitly.
 *
 * @example
 * ```ts
 * ssim(original, reconstruction, { variant: 'skimage', dataRange: 1 }); // Float64Array(N)
 * ```
 */
export function ssim(x: ImageBatchLike, y: ImageBatchLike, options: SsimOptions): Float64Array {
  const R = options.dataRange;
  if (!(R > 0)) throw new Error(`ssim: option dataRange must be a positive number, got ${String(R)}`);
  const variant = options.variant ?? 'skimage';
  if (variant !== 'skimage' && variant !== 'gaussian') throw new Error(`ssim: option variant must be 'skimage' or 'gaussian', got '${String(variant)}'`);
  const [a, b] = toHostPair(x, y, 'ssim');
  const out = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) {
    let s = 0;
    for (let ch = 0; ch < a.c; ch++) s += ssimPlane(channelPlane(a, i, ch), channelPlane(b, i, ch), a.h, a.w, variant, R);
    out[i] = s / a.c;
  }
  return out;
}
