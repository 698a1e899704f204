import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';
import { Module } from './module.js';
import { Conv2d } from './conv2d.js';

/** Options of {@link Downsample} and {@link Upsample}. */
export interface ResampleOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. @default inChannels */
  outChannels?: number;
  /** Random stream for the initial weights. */
  rng: Rng;
}

/**
 * Halves H and W with a 3×3 stride-2 convolution `conv`, after padding one zero row at the bottom and one zero
 * column at the right only (the reference's asymmetric `(0,1,0,1)` padding): output `⌊(H−2)/2⌋+1`.
 */
export class Downsample extends Module {
  /** The strided convolution. */
  readonly conv: Conv2d;

  constructor(options: ResampleOptions) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv2d({
        inChannels: options.inChannels,
        outChannels: options.outChannels ?? options.inChannels,
        kernelSize: 3,
        stride: 2,
        padding: [0, 1, 0, 1],
        rng: options.rng,
      }),
    );
  }

  /** Apply to `x` `[N, H, W, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.conv.forward(x);
  }
}

/**
 * Nearest-neighbour ×2 upsampling of NHWC tensors, built from concat + reshape so its gradient works on every
 * backend (no ResizeNearestNeighborGrad kernel needed).
 */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const wide = tf.reshape(tf.concat([x, x], 3), [n, h, 2 * w, c]);
    return tf.reshape(tf.concat([wide, wide], 2), [n, 2 * h, 2 * w, c]) as tf.Tensor4D;
  });
}

/** Doubles H and W: nearest-neighbour ×2, then a 3×3 convolution `conv` with padding 1. */
export class Upsample extends Module {
  /** The convolution after upsampling. */
  readonly conv: Conv2d;

  constructor(options: ResampleOptions) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv2d({
        inChannels: options.inChannels,
        outChannels: options.outChannels ?? options.inChannels,
        kernelSize: 3,
        padding: 1,
        rng: options.rng,
      }),
    );
  }

  /** Apply to `x` `[N, H, W, C]`; returns `[N, 2H, 2W, outChannels]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.conv.forward(upsampleNearest2x(x)));
  }
}
