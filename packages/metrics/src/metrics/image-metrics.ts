import type { Metric, MetricBatch, MetricResult } from '@ifsq/core';
import { psnr } from '../image/psnr.js';
import { ssim, type SsimVariant } from '../image/ssim.js';
import { addValues, emptyMean, meanStd, mergeMean, need, type MeanState } from './mean-state.js';

/** Options of {@link PsnrMetric}. */
export interface PsnrMetricOptions {
  /**
   * Cap in dB. When set, every image's PSNR is `min(psnr, cap)` and identical images count as `cap` (the iFSQ eval
   * helper uses 100). When unset, identical images (+∞) are left out of the mean and counted in `psnr_identical`.
   * @default undefined (no cap)
   */
  cap?: number;
}

/** State of {@link PsnrMetric}: running sums of the finite (or capped) values plus the identical-image count. */
export interface PsnrState extends MeanState {
  /** Images with mse = 0. */
  identical: number;
}

/**
 * Streaming PSNR of `fake` against `real` (both [-1,1], mapped to [0,1] as the reference does, data range 1).
 * Reports `psnr` (mean over images), `psnr_std`, `psnr_images`, `psnr_identical`.
 */
export class PsnrMetric implements Metric<PsnrState> {
  readonly name = 'psnr';
  private s: PsnrState = { ...emptyMean(), identical: 0 };
  constructor(private readonly options: PsnrMetricOptions = {}) {}

  reset(): void {
    this.s = { ...emptyMean(), identical: 0 };
  }

  update(batch: MetricBatch): void {
    const real = need(batch.real, 'psnr', 'real');
    const fake = need(batch.fake, 'psnr', 'fake');
    // (x+1)/2 on both sides with range 1 is the same as range 2 on [-1,1]: mse and R² both scale by 4.
    const values = psnr(real, fake, { dataRange: 2 });
    const cap = this.options.cap;
    const kept: number[] = [];
    for (const v of values) {
      if (v === Number.POSITIVE_INFINITY) this.s.identical++;
      if (cap !== undefined) kept.push(Math.min(v, cap));
      else if (Number.isFinite(v)) kept.push(v);
    }
    addValues(this.s, kept);
  }

  compute(): MetricResult {
    const { mean, std } = meanStd(this.s);
    const images = this.options.cap !== undefined ? this.s.count : this.s.count + this.s.identical;
    return {
      values: { psnr: mean, psnr_std: std, psnr_images: images, psnr_identical: this.s.identical },
      provenance: {
        metric: 'psnr',
        mapping: '(x+1)/2 to [0,1], data range 1, mse over H·W·C per image',
        identicalPolicy: this.options.cap !== undefined ? `capped at ${this.options.cap} dB` : 'excluded from the mean, counted in psnr_identical',
        images,
      },
    };
  }

  state(): PsnrState {
    return { ...this.s };
  }

  merge(other: PsnrState): void {
    mergeMean(this.s, other);
    this.s.identical += other.identical;
  }
}

/** Options of {@link SsimMetric}. */
export interface SsimMetricOptions {
  /** SSIM variant (spec §9.2). @default 'skimage' */
  variant?: SsimVariant;
}

/**
 * Streaming SSIM of `fake` against `real` (both [-1,1], mapped to [0,1], data range 1), per image averaged over
 * channels, then over images. Reports `ssim`, `ssim_std`, `ssim_images`.
 */
export class SsimMetric implements Metric<MeanState> {
  readonly name = 'ssim';
  private s = emptyMean();
  constructor(private readonly options: SsimMetricOptions = {}) {}

  reset(): void {
    this.s = emptyMean();
  }

  update(batch: MetricBatch): void {
    const real = need(batch.real, 'ssim', 'real');
    const fake = need(batch.fake, 'ssim', 'fake');
    const to01 = (x: { shape: readonly number[]; dataSync(): ArrayLike<number> }) => ({
      shape: x.shape,
      dataSync: () => Float64Array.from(x.dataSync(), (v) => (v + 1) / 2),
    });
    addValues(this.s, ssim(to01(real), to01(fake), { variant: this.options.variant ?? 'skimage', dataRange: 1 }));
  }

  compute(): MetricResult {
    const { mean, std } = meanStd(this.s);
    const variant = this.options.variant ?? 'skimage';
    // The scikit-image variant (what the iFSQ numbers use) reports as `ssim`, the Gaussian one as `ssim_gaussian`,
    // so a pipeline can list both.
    const key = variant === 'skimage' ? 'ssim' : 'ssim_gaussian';
    return {
      values: { [key]: mean, [`${key}_std`]: std, [`${key}_images`]: this.s.count },
      provenance: {
        metric: 'ssim',
        variant,
        window: variant === 'skimage' ? '7x7 uniform, sample covariance, reflect padding, 3 px border cropped' : '11x11 Gaussian σ=1.5, population covariance, valid',
        mapping: '(x+1)/2 to [0,1], data range 1',
        images: this.s.count,
      },
    };
  }

  state(): MeanState {
    return { ...this.s };
  }

  merge(other: MeanState): void {
    mergeMean(this.s, other);
  }
}
