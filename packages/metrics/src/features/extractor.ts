import type * as tf from '@tensorflow/tfjs';

/**
 * A feature network for distribution metrics (FID): maps images to one feature vector each. Extractors are
 * `feature-extractor` plugins; the `fid` metric records their `name`, `weightsSha256`, `resize` in its provenance.
 */
export interface FeatureExtractor {
  /** Extractor name as recorded in provenance (`inception-v3-fid`, `fmnist-features`). */
  readonly name: string;
  /** SHA-256 (hex) of the weights file the extractor was loaded from. */
  readonly weightsSha256: string;
  /** Length of each feature vector. */
  readonly featureDim: number;
  /** How inputs are brought to the network's resolution (`bilinear 299x299 (align_corners=false)`). */
  readonly resize: string;
  /** Features `[N, featureDim]` of images `[N,H,W,C]` in [-1,1]. Does not dispose its input. */
  extract(images: tf.Tensor4D): tf.Tensor2D;
  /** Release the weights. */
  dispose(): void;
}
