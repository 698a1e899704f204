import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from './extractor.js';
import { disposeWeights, loadSafetensorsWeights, requireTensor, torchConvToTf, type LoadedWeights } from './weights.js';

/** Path of the shipped Fashion-MNIST feature weights (trained by `scripts/train_fmnist_features.py`). */
export function defaultFmnistWeightsPath(): string {
  return fileURLToPath(new URL('../../weights/fmnist-features.safetensors', import.meta.url));
}

interface ConvLayer {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * The small Fashion-MNIST CNN of `scripts/train_fmnist_features.py`: three 3×3 conv + ReLU layers (16, 32, 64
 * channels, max-pool 2 after the first two), global average pool → 64-d features. Inputs are converted to one
 * channel (mean over channels) and resized bilinearly to 28×28 when needed.
 *
 * Its FID is only comparable with other Fashion-MNIST-feature FIDs, never with Inception FID.
 */
export class FmnistFeatureExtractor implements FeatureExtractor {
  readonly name = 'fmnist-features';
  readonly featureDim = 64;
  readonly resize = 'channel mean to 1 channel, bilinear 28x28 (half-pixel centers) when needed';
  private readonly layers: ConvLayer[];

  private constructor(
    weights: LoadedWeights,
    /** SHA-256 of the weights file. */
    readonly weightsSha256: string,
  ) {
    this.layers = ['conv1', 'conv2', 'conv3'].map((n) => ({
      filter: torchConvToTf(requireTensor(weights, `${n}.weight`, 4)),
      bias: tf.clone(requireTensor(weights, `${n}.bias`, 1)) as tf.Tensor1D,
    }));
    disposeWeights(weights);
  }

  /**
   * Load from a safetensors file.
   * @param path weights file. @default the shipped `weights/fmnist-features.safetensors`
   */
  static async load(path: string = defaultFmnistWeightsPath()): Promise<FmnistFeatureExtractor> {
    const w = await loadSafetensorsWeights(path, 'fmnist-features');
    return new FmnistFeatureExtractor(w, w.sha256);
  }

  /** Build from already loaded weights (takes ownership). */
  static fromWeights(weights: LoadedWeights): FmnistFeatureExtractor {
    return new FmnistFeatureExtractor(weights, weights.sha256);
  }

  extract(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let x: tf.Tensor4D = images.shape[3] === 1 ? images : tf.mean(images, 3, true);
      if (x.shape[1] !== 28 || x.shape[2] !== 28) x = tf.image.resizeBilinear(x, [28, 28], false, true);
      const [c1, c2, c3] = this.layers;
      const convRelu = (h: tf.Tensor4D, c: ConvLayer): tf.Tensor4D => tf.relu(tf.add(tf.conv2d(h, c.filter, 1, 'same'), c.bias)) as tf.Tensor4D;
      x = tf.maxPool(convRelu(x, c1), 2, 2, 'valid');
      x = tf.maxPool(convRelu(x, c2), 2, 2, 'valid');
      x = convRelu(x, c3);
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.filter, l.bias]);
  }
}
