import type { Metric, MetricBatch, MetricResult } from '@ifsq/core';
import type * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from '../features/extractor.js';
import { frechetDistanceDetailed } from '../fid/frechet.js';
import { GaussianStatsAccumulator, type GaussianStatsState } from '../fid/gaussian-stats.js';
import { hashStats, saveReferenceStats, type ReferenceStats } from '../fid/reference-stats.js';
import { need } from './mean-state.js';

/** Options of {@link FidMetric}. */
export interface FidMetricOptions {
  /**
   * Precomputed statistics of the real set (gFID against a reference). When given, `real` images in batches are
   * ignored and only `fake` images are featurised. Without it, both `real` and `fake` are featurised (rFID:
   * originals vs reconstructions, or gFID against real images streamed alongside).
   */
  reference?: ReferenceStats;
  /** Reported value name. @default 'fid' */
  valueName?: string;
  /**
   * Where `compute` writes the statistics of the real images it accumulated (JSON, see `saveReferenceStats`), with
   * the extractor's provenance, for later gFID runs. Ignored when `reference` is given. @default undefined
   */
  saveReference?: string;
}

/** Mergeable state of {@link FidMetric}: float64 mean/co-moment of both feature sets. */
export interface FidState {
  /** Statistics of the real features (empty when a reference is used). */
  real: GaussianStatsState;
  /** Statistics of the fake features. */
  fake: GaussianStatsState;
}

/**
 * Streaming FID: features of each batch's images go into float64 mean/covariance accumulators (no features kept),
 * `compute` takes the Fréchet distance. Provenance: extractor name and weights hash, image counts, resize method,
 * and the SHA-256 of the real statistics used.
 */
export class FidMetric implements Metric<FidState> {
  readonly name = 'fid';
  private real = new GaussianStatsAccumulator();
  private fake = new GaussianStatsAccumulator();

  constructor(
    private readonly extractor: FeatureExtractor,
    private readonly options: FidMetricOptions = {},
  ) {
    const ref = options.reference;
    if (ref && ref.dim !== extractor.featureDim) {
      throw new Error(`fid: reference statistics have dim ${ref.dim} but extractor ${extractor.name} gives ${extractor.featureDim}-d features`);
    }
    const refExtractor = ref?.provenance.extractor;
    if (ref && typeof refExtractor === 'string' && refExtractor !== extractor.name) {
      throw new Error(`fid: reference statistics were made with extractor "${refExtractor}", not "${extractor.name}"`);
    }
  }

  reset(): void {
    this.real.reset();
    this.fake.reset();
  }

  private add(acc: GaussianStatsAccumulator, images: tf.Tensor4D): void {
    const f = this.extractor.extract(images);
    acc.addRows(f.dataSync(), f.shape[0], f.shape[1]);
    f.dispose();
  }

  update(batch: MetricBatch): void {
    this.add(this.fake, need(batch.fake, 'fid', 'fake'));
    if (!this.options.reference) this.add(this.real, need(batch.real, 'fid', 'real'));
  }

  /** Statistics of the real features accumulated so far (to save as a reference). */
  realStats(): ReturnType<GaussianStatsAccumulator['stats']> {
    return this.real.stats();
  }

  async compute(): Promise<MetricResult> {
    const ref = this.options.reference;
    const realStats = ref ?? this.real.stats();
    let savedReference: string | undefined;
    if (!ref && this.options.saveReference) {
      await saveReferenceStats(this.options.saveReference, {
        ...realStats,
        provenance: { extractor: this.extractor.name, extractorWeightsSha256: this.extractor.weightsSha256, resize: this.extractor.resize, images: realStats.n },
      });
      savedReference = this.options.saveReference;
    }
    const fakeStats = this.fake.stats();
    const r = frechetDistanceDetailed(realStats.mu, realStats.sigma, fakeStats.mu, fakeStats.sigma);
    const name = this.options.valueName ?? 'fid';
    return {
      values: { [name]: r.fid, [`${name}_images`]: fakeStats.n },
      provenance: {
        metric: 'fid',
        extractor: this.extractor.name,
        extractorWeightsSha256: this.extractor.weightsSha256,
        featureDim: this.extractor.featureDim,
        resize: this.extractor.resize,
        images: fakeStats.n,
        referenceImages: realStats.n,
        referenceStatsSha256: ref ? ref.sha256 : hashStats(realStats),
        referenceSource: ref ? 'precomputed statistics' : 'real images of the evaluated batches',
        sqrtMethod: r.method,
        regularized: r.regularized,
        comparableToInceptionFid: this.extractor.name === 'inception-v3-fid',
        ...(savedReference ? { savedReference } : {}),
      },
    };
  }

  state(): FidState {
    return { real: this.real.state(), fake: this.fake.state() };
  }

  merge(other: FidState): void {
    this.real.merge(other.real);
    this.fake.merge(other.fake);
  }
}
