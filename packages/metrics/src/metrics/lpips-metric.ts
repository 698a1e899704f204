import type { Metric, MetricBatch, MetricResult } from '@ifsq/core';
import type { Lpips } from '../lpips/lpips.js';
import { addValues, emptyMean, meanStd, mergeMean, need, type MeanState } from './mean-state.js';

/**
 * Streaming LPIPS between `real` and `fake` (both [-1,1], passed as is, like iFSQ). Reports `lpips`, `lpips_std`,
 * `lpips_images`; provenance names the trunk and the weights hash.
 */
export class LpipsMetric implements Metric<MeanState> {
  readonly name = 'lpips';
  private s = emptyMean();
  constructor(
    private readonly model: Lpips,
    private readonly options: { spatial?: boolean } = {},
  ) {}

  reset(): void {
    this.s = emptyMean();
  }

  update(batch: MetricBatch): void {
    const d = this.model.distance(need(batch.real, 'lpips', 'real'), need(batch.fake, 'lpips', 'fake'), this.options);
    addValues(this.s, d.dataSync());
    d.dispose();
  }

  compute(): MetricResult {
    const { mean, std } = meanStd(this.s);
    return {
      values: { lpips: mean, lpips_std: std, lpips_images: this.s.count },
      provenance: {
        metric: 'lpips',
        net: this.model.net,
        weightsSha256: this.model.weightsSha256,
        spatial: this.options.spatial ?? false,
        version: 'v0.1 linear weights',
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
