export type { FeatureMatrix } from './feature-matrix.js';
export {
  frechetDistance,
  frechetDistanceDetailed,
  fidFromFeatures,
  FID_REGULARIZATION_EPS,
  type CovarianceInput,
  type FrechetMethod,
  type FrechetOptions,
  type FrechetResult,
} from './frechet.js';
export { GaussianStatsAccumulator, gaussianStats, type GaussianStats, type GaussianStatsState } from './gaussian-stats.js';
export { hashStats, loadReferenceStats, saveReferenceStats, toReferenceStats, type ReferenceStats } from './reference-stats.js';
