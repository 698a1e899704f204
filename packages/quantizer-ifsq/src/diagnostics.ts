/**
 * Host-side diagnostics of one quantized batch: bin and code occupancy, KS of the bounded values against
 * Uniform(−1, 1), and latent moments. Key names are stable so reports of different runs and bounds line up.
 */
import {
  bitsPerValue,
  channelMoments,
  digitHistograms,
  ksUniform,
  ksUniformRmse,
  occupancy,
  sparseHistogram,
} from '@ifsq/metrics';
import type { FsqConfig } from './config.js';

/** Inputs of {@link fsqDiagnostics}. */
export interface DiagnosticsInput {
  /** Latent before the bound, `[N, d]` row-major. */
  z: Float32Array;
  /** Bounded pre-rounding values `[N, d]`. */
  bounded: Float32Array;
  /** Digits `[N, d]`. */
  digits: Int32Array;
  /** Running mean per channel (after this batch's update, if any). */
  runningMean: ArrayLike<number>;
  /** Running variance per channel. */
  runningVar: ArrayLike<number>;
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
};

/**
 * Compute the stable diagnostic keys:
 * `utilization`, `entropy_bits`, `entropy_norm`, `perplexity` (whole codewords over the batch);
 * `bin_utilization`, `bin_entropy_bits`, `bin_perplexity` (means over dimensions) and `dim{i}_utilization`,
 * `dim{i}_entropy_bits`, `dim{i}_perplexity`; `ks`, `ks_rmse`; `latent_mean`, `latent_var` (batch),
 * `running_mean`, `running_var` (channel averages) and `dim{i}_running_mean`, `dim{i}_running_var`;
 * `bits_per_value`, `codebook_size`.
 */
export function fsqDiagnostics(input: DiagnosticsInput, config: FsqConfig): Record<string, number> {
  const { levels } = config;
  const d = levels.length;
  const n = input.digits.length / d;
  const stats: Record<string, number> = {};
  const K = levels.reduce((a, b) => a * b, 1);

  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let k = 0;
    let w = 1;
    for (let i = 0; i < d; i++) {
      k += input.digits[r * d + i] * w;
      w *= levels[i];
    }
    keys[r] = k;
  }
  const global = occupancy(sparseHistogram(keys), K);
  stats.utilization = global.utilization;
  stats.entropy_bits = global.entropyBits;
  stats.entropy_norm = global.normalizedEntropy;
  stats.perplexity = global.perplexity;

  const perDim = digitHistograms(input.digits, levels).map((h, i) => occupancy(h, levels[i]));
  stats.bin_utilization = mean(perDim.map((o) => o.utilization));
  stats.bin_entropy_bits = mean(perDim.map((o) => o.entropyBits));
  stats.bin_perplexity = mean(perDim.map((o) => o.perplexity));
  perDim.forEach((o, i) => {
    stats[`dim${i}_utilization`] = o.utilization;
    stats[`dim${i}_entropy_bits`] = o.entropyBits;
    stats[`dim${i}_perplexity`] = o.perplexity;
  });

  stats.ks = ksUniform(input.bounded);
  stats.ks_rmse = ksUniformRmse(input.bounded);

  const moments = channelMoments(input.z, d);
  stats.latent_mean = mean(moments.mean);
  stats.latent_var = mean(moments.variance);
  stats.running_mean = mean(input.runningMean);
  stats.running_var = mean(input.runningVar);
  for (let i = 0; i < d; i++) {
    stats[`dim${i}_running_mean`] = input.runningMean[i];
    stats[`dim${i}_running_var`] = input.runningVar[i];
  }
  stats.bits_per_value = bitsPerValue(levels);
  stats.codebook_size = K;
  return stats;
}
