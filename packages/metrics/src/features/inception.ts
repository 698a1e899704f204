import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor } from './extractor.js';
import { INCEPTION_BN_EPS, INCEPTION_CONVS, type InceptionConv } from './inception-layout.js';
import { disposeWeights, loadSafetensorsWeights, requireTensor, torchConvToTf, type LoadedWeights } from './weights.js';

/** Options of {@link InceptionV3FeatureExtractor}. */
export interface InceptionOptions {
  /**
   * Side of the square network input. pytorch-fid uses 299; smaller values (≥ 75) only for tests.
   * @default 299
   */
  inputSize?: number;
}

interface FoldedConv {
  spec: InceptionConv;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * InceptionV3 in the pytorch-fid layout (`pt_inception-2015-12-05` weights, FID patches: average pools that ignore
 * padding in the A/C/E_1 blocks, max pool in the last E block), returning the 2048-d pool3 features. Inputs in
 * [-1,1] are mapped to [0,1], resized bilinearly (half-pixel centres = PyTorch `align_corners=False`) to 299×299,
 * then scaled to [-1,1] as pytorch-fid does. BatchNorm is folded into the convolutions at load time.
 *
 * The weights are not shipped: convert the pytorch-fid `.pth` to safetensors (README) and pass the file.
 */
export class InceptionV3FeatureExtractor implements FeatureExtractor {
  readonly name = 'inception-v3-fid';
  readonly featureDim = 2048;
  readonly resize: string;
  private readonly inputSize: number;
  private readonly convs = new Map<string, FoldedConv>();

  private constructor(weights: LoadedWeights, readonly weightsSha256: string, options: InceptionOptions) {
    this.inputSize = options.inputSize ?? 299;
    if (!(this.inputSize >= 75)) throw new Error(`inception-v3: option inputSize must be ≥ 75, got ${this.inputSize}`);
    this.resize = `bilinear ${this.inputSize}x${this.inputSize} (align_corners=false)`;
    for (const spec of INCEPTION_CONVS) {
      const w = requireTensor(weights, `${spec.name}.conv.weight`, 4);
      const expected = [spec.outChannels, spec.inChannels, ...spec.kernel];
      if (w.shape.join(',') !== expected.join(',')) {
        throw new Error(`${weights.source}: tensor "${spec.name}.conv.weight" must have shape [${expected}], has [${w.shape}]`);
      }
      const [filter, bias] = tf.tidy(() => {
        const gamma = requireTensor(weights, `${spec.name}.bn.weight`, 1);
        const beta = requireTensor(weights, `${spec.name}.bn.bias`, 1);
        const mean = requireTensor(weights, `${spec.name}.bn.running_mean`, 1);
        const variance = requireTensor(weights, `${spec.name}.bn.running_var`, 1);
        const scale = tf.div(gamma, tf.sqrt(tf.add(variance, INCEPTION_BN_EPS)));
        return [tf.mul(torchConvToTf(w), scale) as tf.Tensor4D, tf.sub(beta, tf.mul(mean, scale)) as tf.Tensor1D];
      });
      this.convs.set(spec.name, { spec, filter, bias });
    }
    disposeWeights(weights);
  }

  /**
   * Load from a local safetensors file in the pytorch-fid state-dict naming.
   * @throws Error when `path` is missing (nothing is downloaded) or a tensor is missing or misshapen.
   */
  static async load(path: string | undefined, options: InceptionOptions = {}): Promise<InceptionV3FeatureExtractor> {
    const w = await loadSafetensorsWeights(path, 'inception-v3');
    return new InceptionV3FeatureExtractor(w, w.sha256, options);
  }

  /** Build from already loaded weights (takes ownership). */
  static fromWeights(weights: LoadedWeights, options: InceptionOptions = {}): InceptionV3FeatureExtractor {
    return new InceptionV3FeatureExtractor(weights, weights.sha256, options);
  }

  private c(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const { spec, filter, bias } = this.convs.get(name)!;
    return tf.relu(tf.add(tf.conv2d(x, filter, spec.stride, spec.padding), bias)) as tf.Tensor4D;
  }

  private blockA(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    const b5 = this.c(`${n}.branch5x5_2`, this.c(`${n}.branch5x5_1`, x));
    const b3 = this.c(`${n}.branch3x3dbl_3`, this.c(`${n}.branch3x3dbl_2`, this.c(`${n}.branch3x3dbl_1`, x)));
    // tfjs 'same' average pooling divides by the number of in-bounds values (count_include_pad=False).
    const bp = this.c(`${n}.branch_pool`, tf.avgPool(x, 3, 1, 'same'));
    return tf.concat([b1, b5, b3, bp], 3);
  }

  private blockC(n: string, x: tf.Tensor4D): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    let b7 = x;
    for (const s of ['1', '2', '3']) b7 = this.c(`${n}.branch7x7_${s}`, b7);
    let bd = x;
    for (const s of ['1', '2', '3', '4', '5']) bd = this.c(`${n}.branch7x7dbl_${s}`, bd);
    const bp = this.c(`${n}.branch_pool`, tf.avgPool(x, 3, 1, 'same'));
    return tf.concat([b1, b7, bd, bp], 3);
  }

  private blockE(n: string, x: tf.Tensor4D, pool: 'avg' | 'max'): tf.Tensor4D {
    const b1 = this.c(`${n}.branch1x1`, x);
    const t = this.c(`${n}.branch3x3_1`, x);
    const b3 = tf.concat([this.c(`${n}.branch3x3_2a`, t), this.c(`${n}.branch3x3_2b`, t)], 3);
    const u = this.c(`${n}.branch3x3dbl_2`, this.c(`${n}.branch3x3dbl_1`, x));
    const bd = tf.concat([this.c(`${n}.branch3x3dbl_3a`, u), this.c(`${n}.branch3x3dbl_3b`, u)], 3);
    const pooled = pool === 'avg' ? tf.avgPool(x, 3, 1, 'same') : tf.maxPool(x, 3, 1, 'same');
    const bp = this.c(`${n}.branch_pool`, pooled);
    return tf.concat([b1, b3, bd, bp], 3);
  }

  extract(images: tf.Tensor4D): tf.Tensor2D {
    if (images.shape[3] !== 3) throw new Error(`inception-v3: expected RGB images [N,H,W,3], got [${images.shape}]`);
    return tf.tidy(() => {
      const s = this.inputSize;
      let x: tf.Tensor4D = tf.div(tf.add(images, 1), 2); // [-1,1] → [0,1] as pytorch-fid expects
      if (x.shape[1] !== s || x.shape[2] !== s) x = tf.image.resizeBilinear(x, [s, s], false, true);
      x = tf.sub(tf.mul(x, 2), 1);
      x = this.c('Conv2d_1a_3x3', x);
      x = this.c('Conv2d_2a_3x3', x);
      x = this.c('Conv2d_2b_3x3', x);
      x = tf.maxPool(x, 3, 2, 'valid');
      x = this.c('Conv2d_3b_1x1', x);
      x = this.c('Conv2d_4a_3x3', x);
      x = tf.maxPool(x, 3, 2, 'valid');
      x = this.blockA('Mixed_5b', x);
      x = this.blockA('Mixed_5c', x);
      x = this.blockA('Mixed_5d', x);
      x = tf.concat(
        [
          this.c('Mixed_6a.branch3x3', x),
          this.c('Mixed_6a.branch3x3dbl_3', this.c('Mixed_6a.branch3x3dbl_2', this.c('Mixed_6a.branch3x3dbl_1', x))),
          tf.maxPool(x, 3, 2, 'valid'),
        ],
        3,
      );
      for (const n of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) x = this.blockC(n, x);
      let b7 = x;
      for (const s2 of ['1', '2', '3', '4']) b7 = this.c(`Mixed_7a.branch7x7x3_${s2}`, b7);
      x = tf.concat([this.c('Mixed_7a.branch3x3_2', this.c('Mixed_7a.branch3x3_1', x)), b7, tf.maxPool(x, 3, 2, 'valid')], 3);
      x = this.blockE('Mixed_7b', x, 'avg');
      x = this.blockE('Mixed_7c', x, 'max');
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const c of this.convs.values()) tf.dispose([c.filter, c.bias]);
    this.convs.clear();
  }
}

/** Seeded random weights in the pytorch-fid layout (tests and smoke runs only; meaningless features). */
export function randomInceptionWeights(seed: number): Map<string, tf.Tensor> {
  const map = new Map<string, tf.Tensor>();
  INCEPTION_CONVS.forEach((spec, i) => {
    const fanIn = spec.inChannels * spec.kernel[0] * spec.kernel[1];
    const shape = [spec.outChannels, spec.inChannels, ...spec.kernel];
    map.set(`${spec.name}.conv.weight`, tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed + i));
    map.set(`${spec.name}.bn.weight`, tf.ones([spec.outChannels]));
    map.set(`${spec.name}.bn.bias`, tf.zeros([spec.outChannels]));
    map.set(`${spec.name}.bn.running_mean`, tf.zeros([spec.outChannels]));
    map.set(`${spec.name}.bn.running_var`, tf.ones([spec.outChannels]));
  });
  return map;
}
