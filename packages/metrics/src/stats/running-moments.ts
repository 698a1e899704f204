/**
 * BatchNorm-style running mean and variance per channel: the diagnostic the official iFSQ `RunningFSQ` logs
 * (momentum 0.1, biased batch variance). Not used to normalize anything.
 */

/** Options of {@link RunningMoments}. */
export interface RunningMomentsOptions {
  /** Weight of the new batch: `running = (1 − momentum)·running + momentum·batch`. @default 0.1 */
  momentum?: number;
}

/** Per-channel mean and biased variance of one batch laid out `[N, channels]` (channels last). */
export function channelMoments(values: ArrayLike<number>, channels: number): { mean: Float64Array; variance: Float64Array } {
  if (!Number.isInteger(channels) || channels <= 0) throw new RangeError(`channelMoments: channels must be a positive integer`);
  if (values.length === 0 || values.length % channels !== 0) {
    throw new RangeError(`channelMoments: ${values.length} values do not split into rows of ${channels} channels`);
  }
  const n = values.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let p = 0; p < values.length; p += channels) for (let c = 0; c < channels; c++) mean[c] += values[p + c];
  for (let c = 0; c < channels; c++) mean[c] /= n;
  for (let p = 0; p < values.length; p += channels) {
    for (let c = 0; c < channels; c++) {
      const dlt = values[p + c] - mean[c];
      variance[c] += dlt * dlt;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= n;
  return { mean, variance };
}

/** Running per-channel mean/variance accumulator; starts at mean 0, variance 1 like BatchNorm. */
export class RunningMoments {
  /** Current running mean per channel. */
  readonly mean: Float64Array;
  /** Current running (biased) variance per channel. */
  readonly variance: Float64Array;
  /** Number of batches folded in. */
  count = 0;
  readonly #momentum: number;

  /**
   * @param channels - Number of channels.
   * @param options - Momentum.
   */
  constructor(
    readonly channels: number,
    options: RunningMomentsOptions = {},
  ) {
    const { momentum = 0.1 } = options;
    if (!(momentum > 0 && momentum <= 1)) throw new RangeError(`RunningMoments: momentum must be in (0, 1], got ${momentum}`);
    this.#momentum = momentum;
    this.mean = new Float64Array(channels);
    this.variance = new Float64Array(channels).fill(1);
  }

  /** Fold one batch `[N, channels]` into the running statistics. */
  update(values: ArrayLike<number>): void {
    const { mean, variance } = channelMoments(values, this.channels);
    const m = this.#momentum;
    for (let c = 0; c < this.channels; c++) {
      this.mean[c] = (1 - m) * this.mean[c] + m * mean[c];
      this.variance[c] = (1 - m) * this.variance[c] + m * variance[c];
    }
    this.count++;
  }
}
