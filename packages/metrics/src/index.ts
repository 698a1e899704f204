/**
 * `@ifsq/metrics`: PSNR, SSIM, LPIPS, FID, tokenizer statistics and representation metrics with reference parity
 * and provenance.
 * @packageDocumentation
 */
export * from './image/index.js';
export * from './fid/index.js';
export * from './repr/index.js';
export type { FeatureExtractor } from './features/extractor.js';
export { FmnistFeatureExtractor, defaultFmnistWeightsPath } from './features/fmnist.js';
export { InceptionV3FeatureExtractor, randomInceptionWeights, type InceptionOptions } from './features/inception.js';
export { INCEPTION_CONVS, type InceptionConv } from './features/inception-layout.js';
export { loadSafetensorsWeights, weightsFromMap, type LoadedWeights } from './features/weights.js';
export { Lpips, type LpipsDistanceOptions, type LpipsNet, type LpipsOptions } from './lpips/lpips.js';
export { PsnrMetric, SsimMetric, type PsnrMetricOptions, type PsnrState, type SsimMetricOptions } from './metrics/image-metrics.js';
export { LpipsMetric } from './metrics/lpips-metric.js';
export { FidMetric, type FidMetricOptions, type FidState } from './metrics/fid-metric.js';
export { TokenizerStatsMetric, type TokenizerStatsOptions, type TokenizerStatsState } from './metrics/tokenizer-stats-metric.js';
export { CknnaMetric, type CknnaState, type RepresentationBatch } from './metrics/cknna-metric.js';
export type { MeanState } from './metrics/mean-state.js';
export * from './stats/index.js';
