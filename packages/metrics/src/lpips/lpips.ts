import * as tf from '@tensorflow/tfjs';
import { disposeWeights, loadSafetensorsWeights, requireTensor, torchConvToTf, type LoadedWeights } from '../features/weights.js';

/** LPIPS feature trunk. */
export type LpipsNet = 'alex' | 'vgg';

/** Options of {@link Lpips} construction. */
export interface LpipsOptions {
  /** Feature trunk the weights file holds. @default 'alex' */
  net?: LpipsNet;
}

/** Options of {@link Lpips.distance}. */
export interface LpipsDistanceOptions {
  /**
   * Upsample each layer's distance map bilinearly (align_corners=False) to the input size and average the summed
   * map, as iFSQ's evaluation (`lpips.LPIPS(spatial=True)` then `.mean()`) does; `false` is the standard LPIPS
   * (spatial mean per layer). The two are close but not identical.
   * @default false
   */
  spatial?: boolean;
}

/** ScalingLayer constants of LPIPS (per RGB channel). */
const SHIFT = [-0.03, -0.088, -0.188];
const SCALE = [0.458, 0.448, 0.45];

/** Torchvision `features` indices of the convolutions, and after which conv a feature is tapped. */
interface TrunkLayout {
  /** Sequence of ops: conv index, or 'pool'. */
  ops: Array<number | 'pool'>;
  /** Conv indices whose ReLU output is an LPIPS layer. */
  taps: number[];
  /** Kernel stride and explicit padding per conv index (default stride 1, 'same'). */
  special: Record<number, { stride: number; pad: number }>;
  /** Max-pool kernel size (stride 2). */
  poolSize: number;
}

const LAYOUTS: Record<LpipsNet, TrunkLayout> = {
  alex: { ops: [0, 'pool', 3, 'pool', 6, 8, 10], taps: [0, 3, 6, 8, 10], special: { 0: { stride: 4, pad: 2 } }, poolSize: 3 },
  vgg: {
    ops: [0, 2, 'pool', 5, 7, 'pool', 10, 12, 14, 'pool', 17, 19, 21, 'pool', 24, 26, 28],
    taps: [2, 7, 14, 21, 28],
    special: {},
    poolSize: 2,
  },
};

interface Conv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  stride: number;
  pad: number | 'same';
}

/**
 * Learned Perceptual Image Patch Similarity (Zhang et al. 2018, spec §9.3) with an AlexNet or VGG16 trunk: input
 * scaling, channel unit-normalisation (ε = 1e-10), squared difference, learned non-negative 1×1 weights ("v0.1"),
 * spatial average, sum over the five layers. Channel counts are read from the weights, so any trunk width works.
 *
 * Weights layout (safetensors, PyTorch layouts): `features.<i>.weight|bias` with torchvision's `features` indices
 * and `lin<l>.weight` `[1,C,1,1]`. Convert the official weights with `scripts/convert_lpips_weights.py`.
 */
export class Lpips {
  private readonly convs = new Map<number, Conv>();
  private readonly lins: tf.Tensor4D[] = [];

  private constructor(weights: LoadedWeights, readonly net: LpipsNet, readonly weightsSha256: string) {
    const layout = LAYOUTS[net];
    for (const op of layout.ops) {
      if (op === 'pool') continue;
      const w = requireTensor(weights, `features.${op}.weight`, 4);
      const special = layout.special[op];
      this.convs.set(op, {
        filter: torchConvToTf(w),
        bias: tf.clone(requireTensor(weights, `features.${op}.bias`, 1)) as tf.Tensor1D,
        stride: special?.stride ?? 1,
        pad: special?.pad ?? 'same',
      });
    }
    layout.taps.forEach((conv, l) => {
      const w = requireTensor(weights, `lin${l}.weight`, 4);
      const channels = this.convs.get(conv)!.filter.shape[3];
      if (w.shape[0] !== 1 || w.shape[1] !== channels) {
        throw new Error(`${weights.source}: tensor "lin${l}.weight" must have shape [1,${channels},1,1], has [${w.shape}]`);
      }
      this.lins.push(torchConvToTf(w));
    });
    disposeWeights(weights);
  }

  /**
   * Load LPIPS weights from a local safetensors file.
   * @throws Error when no path is given (nothing is downloaded) or a tensor is missing.
   */
  static async load(path: string | undefined, options: LpipsOptions = {}): Promise<Lpips> {
    const w = await loadSafetensorsWeights(path, 'lpips');
    const net = options.net ?? (w.metadata.net as LpipsNet | undefined) ?? 'alex';
    if (net !== 'alex' && net !== 'vgg') throw new Error(`lpips: option net must be 'alex' or 'vgg', got '${String(net)}'`);
    return new Lpips(w, net, w.sha256);
  }

  /** Build from already loaded weights (takes ownership). */
  static fromWeights(weights: LoadedWeights, options: LpipsOptions = {}): Lpips {
    return new Lpips(weights, options.net ?? 'alex', weights.sha256);
  }

  private features(x: tf.Tensor4D): tf.Tensor4D[] {
    const layout = LAYOUTS[this.net];
    const out: tf.Tensor4D[] = [];
    let h = tf.div(tf.sub(x, tf.tensor1d(SHIFT)), tf.tensor1d(SCALE)) as tf.Tensor4D;
    for (const op of layout.ops) {
      if (op === 'pool') {
        h = tf.maxPool(h, layout.poolSize, 2, 'valid');
        continue;
      }
      const c = this.convs.get(op)!;
      const input = typeof c.pad === 'number' ? tf.pad(h, [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]]) : h;
      h = tf.relu(tf.add(tf.conv2d(input, c.filter, c.stride, typeof c.pad === 'number' ? 'valid' : 'same'), c.bias)) as tf.Tensor4D;
      if (layout.taps.includes(op)) out.push(h);
    }
    return out;
  }

  /**
   * LPIPS distance per image pair; `x`, `y` are `[N,H,W,3]` in [-1,1].
   * @returns `[N]` distances (caller disposes)
   */
  distance(x: tf.Tensor4D, y: tf.Tensor4D, options: LpipsDistanceOptions = {}): tf.Tensor1D {
    if (x.shape.join(',') !== y.shape.join(',')) throw new Error(`lpips: x has shape [${x.shape}] but y has [${y.shape}]`);
    if (x.shape[3] !== 3) throw new Error(`lpips: expected RGB images [N,H,W,3], got [${x.shape}]`);
    return tf.tidy(() => {
      const fx = this.features(x);
      const fy = this.features(y);
      const [, H, W] = x.shape;
      let total: tf.Tensor1D | undefined;
      fx.forEach((a, l) => {
        const unit = (f: tf.Tensor4D): tf.Tensor4D => tf.div(f, tf.add(tf.sqrt(tf.sum(tf.square(f), 3, true)), 1e-10));
        const d = tf.square(tf.sub(unit(a), unit(fy[l])));
        const map = tf.conv2d(d as tf.Tensor4D, this.lins[l], 1, 'valid'); // [N,h,w,1]
        const layer = options.spatial
          ? (tf.mean(tf.image.resizeBilinear(map, [H, W], false, true), [1, 2, 3]) as tf.Tensor1D)
          : (tf.mean(map, [1, 2, 3]) as tf.Tensor1D);
        total = total ? (tf.add(total, layer) as tf.Tensor1D) : layer;
      });
      return total!;
    });
  }

  /** Release the weights. */
  dispose(): void {
    for (const c of this.convs.values()) tf.dispose([c.filter, c.bias]);
    tf.dispose(this.lins);
    this.convs.clear();
    this.lins.length = 0;
  }
}
