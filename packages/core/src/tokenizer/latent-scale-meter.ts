import type * as tf from '@tensorflow/tfjs';
import type { LatentScale } from '../contracts/latent-spec.js';

/**
 * Streaming per-channel mean and standard deviation of latent codes (channels last), by Welford's algorithm in
 * float64, so a whole dataset can be measured batch by batch without holding it. The standard deviation is the
 * population one (divides by the count, like numpy's default).
 */
export class LatentScaleMeter {
  #count = 0;
  #mean: Float64Array | undefined;
  #m2: Float64Array | undefined;

  /** Number of values seen per channel. */
  get count(): number {
    return this.#count;
  }

  /** Add a batch of codes `[..., d]`; reads it to the host and does not dispose it. */
  update(codes: tf.Tensor): void {
    this.updateValues(codes.dataSync(), codes.shape[codes.rank - 1] ?? 1);
  }

  /** Add host values laid out channels last (`values.length` a multiple of `channels`). */
  updateValues(values: ArrayLike<number>, channels: number): void {
    if (!this.#mean || !this.#m2) {
      this.#mean = new Float64Array(channels);
      this.#m2 = new Float64Array(channels);
    }
    const mean = this.#mean;
    const m2 = this.#m2;
    if (channels !== mean.length) {
      throw new Error(`LatentScaleMeter: batch has ${channels} channels, earlier batches had ${mean.length}`);
    }
    if (values.length % channels !== 0) {
      throw new Error(`LatentScaleMeter: ${values.length} values is not a multiple of ${channels} channels`);
    }
    const rows = values.length / channels;
    for (let r = 0; r < rows; r++) {
      const n = this.#count + r + 1;
      for (let c = 0; c < channels; c++) {
        const x = values[r * channels + c];
        const delta = x - mean[c];
        mean[c] += delta / n;
        m2[c] += delta * (x - mean[c]);
      }
    }
    this.#count += rows;
  }

  /** The measured per-channel scale. Throws when nothing was measured or a channel is constant. */
  result(): LatentScale {
    if (!this.#mean || !this.#m2 || this.#count === 0) {
      throw new Error('LatentScaleMeter: no latent values were measured');
    }
    const n = this.#count;
    const std = Array.from(this.#m2, (m) => Math.sqrt(m / n));
    std.forEach((s, c) => {
      if (!(s > 0)) throw new Error(`LatentScaleMeter: channel ${c} is constant (std 0); it cannot be standardised`);
    });
    return { kind: 'per-channel', mean: Array.from(this.#mean), std };
  }
}

/** Per-channel mean/std of a sequence of code batches `[..., d]` (see {@link LatentScaleMeter}). */
export function measureLatentScale(codes: Iterable<tf.Tensor>): LatentScale {
  const meter = new LatentScaleMeter();
  for (const batch of codes) meter.update(batch);
  return meter.result();
}
