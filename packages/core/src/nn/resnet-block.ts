import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';
import { Module } from './module.js';
import { Conv2d } from './conv2d.js';
import { GroupNorm } from './norm.js';
import { assertPositiveInt } from './linear.js';

/** Options of {@link ResnetBlock}. */
export interface ResnetBlockOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. @default inChannels */
  outChannels?: number;
  /** Random stream for the initial weights and, in training mode, dropout masks. */
  rng: Rng;
  /** GroupNorm groups; must divide both channel counts. @default 32 */
  numGroups?: number;
  /** GroupNorm epsilon. @default 1e-6 */
  eps?: number;
  /** Dropout rate between the two convolutions (active only in training mode). @default 0 */
  dropout?: number;
}

/**
 * Pre-activation residual block on NHWC tensors:
 * `x → GroupNorm → SiLU → Conv3×3 → GroupNorm → SiLU → Dropout → Conv3×3`, plus the input (through a 1×1
 * convolution `conv_shortcut` when the channel count changes).
 *
 * Children: `norm1`, `conv1`, `norm2`, `conv2`, and `conv_shortcut` when present (diffusers' `ResnetBlock2D` names).
 */
export class ResnetBlock extends Module {
  /** First normalisation. */
  readonly norm1: GroupNorm;
  /** First 3×3 convolution. */
  readonly conv1: Conv2d;
  /** Second normalisation. */
  readonly norm2: GroupNorm;
  /** Second 3×3 convolution. */
  readonly conv2: Conv2d;
  /** 1×1 convolution on the residual path when channels change. */
  readonly convShortcut: Conv2d | undefined;
  /** Dropout rate. */
  readonly dropout: number;
  readonly #rng: Rng;

  constructor(options: ResnetBlockOptions) {
    super();
    const { inChannels, rng } = options;
    const outChannels = options.outChannels ?? inChannels;
    assertPositiveInt('ResnetBlock', 'inChannels', inChannels);
    assertPositiveInt('ResnetBlock', 'outChannels', outChannels);
    const numGroups = options.numGroups ?? 32;
    const eps = options.eps ?? 1e-6;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new Error(`ResnetBlock: dropout must be in [0, 1), got ${options.dropout}`);
    }
    this.#rng = rng;
    this.norm1 = this.addModule('norm1', new GroupNorm({ numGroups, numChannels: inChannels, eps }));
    this.conv1 = this.addModule('conv1', new Conv2d({ inChannels, outChannels, kernelSize: 3, padding: 1, rng }));
    this.norm2 = this.addModule('norm2', new GroupNorm({ numGroups, numChannels: outChannels, eps }));
    this.conv2 = this.addModule(
      'conv2',
      new Conv2d({ inChannels: outChannels, outChannels, kernelSize: 3, padding: 1, rng }),
    );
    this.convShortcut =
      inChannels === outChannels
        ? undefined
        : this.addModule('conv_shortcut', new Conv2d({ inChannels, outChannels, kernelSize: 1, padding: 0, rng }));
  }

  /** Apply to `x` `[N, H, W, inChannels]`; returns `[N, H, W, outChannels]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.conv1.forward(this.norm1.forwardSilu(x));
      h = this.norm2.forwardSilu(h);
      if (this.training && this.dropout > 0) h = tf.dropout(h, this.dropout, undefined, this.#rng.seed()) as tf.Tensor4D;
      h = this.conv2.forward(h);
      const residual = this.convShortcut ? this.convShortcut.forward(x) : x;
      return tf.add(residual, h) as tf.Tensor4D;
    });
  }
}
