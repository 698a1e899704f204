import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';
import { Module } from './module.js';
import { resolveInitializer, type Initializer, type InitializerName } from './init.js';
import { assertPositiveInt } from './linear.js';

/**
 * Spatial padding of a convolution: `'same'` (TensorFlow rule: output = ⌈input/stride⌉, any odd extra row/column
 * at the bottom/right), `'valid'` (none), a number `p` (p zeros on every side, like PyTorch's `padding=p`), or
 * explicit `[top, bottom, left, right]` (applied with `tf.pad` before a valid convolution).
 */
export type Conv2dPadding = 'same' | 'valid' | number | readonly [number, number, number, number];

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel size, or `[kh, kw]`. */
  kernelSize: number | readonly [number, number];
  /** Random stream the initial weights are drawn from. */
  rng: Rng;
  /** Stride, or `[sh, sw]`. @default 1 */
  stride?: number | readonly [number, number];
  /** Padding. @default 'same' */
  padding?: Conv2dPadding;
  /** Whether to add a learned bias. @default true */
  bias?: boolean;
  /** Weight initializer. @default 'torchDefaultWeight' */
  weightInit?: Initializer | InitializerName;
  /** Bias initializer. @default 'torchDefaultBias' */
  biasInit?: Initializer | InitializerName;
}

/**
 * 2-D convolution on NHWC tensors.
 *
 * Parameters: `weight` `[kh, kw, in, out]` (tfjs filter layout) and `bias` `[out]`. PyTorch stores the weight as
 * `[out, in, kh, kw]`; convert with {@link Conv2d.toTorchLayout} / {@link Conv2d.fromTorchLayout}.
 */
export class Conv2d extends Module {
  /** `[kh, kw, in, out]`. */
  readonly weight: tf.Variable;
  /** `[out]`, or undefined without bias. */
  readonly bias: tf.Variable | undefined;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** `[sh, sw]`. */
  readonly stride: [number, number];
  /** Padding as configured. */
  readonly padding: Conv2dPadding;

  constructor(options: Conv2dOptions) {
    super();
    const { inChannels, outChannels, rng } = options;
    assertPositiveInt('Conv2d', 'inChannels', inChannels);
    assertPositiveInt('Conv2d', 'outChannels', outChannels);
    const [kh, kw] = pair('kernelSize', options.kernelSize);
    this.stride = pair('stride', options.stride ?? 1);
    this.padding = checkPadding(options.padding ?? 'same');
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const fans = { fanIn: inChannels * kh * kw, fanOut: outChannels * kh * kw };
    this.weight = this.addParameter(
      'weight',
      resolveInitializer(options.weightInit ?? 'torchDefaultWeight')([kh, kw, inChannels, outChannels], fans, rng),
    );
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', resolveInitializer(options.biasInit ?? 'torchDefaultBias')([outChannels], fans, rng));
  }

  /** Apply to `x` `[N, H, W, inChannels]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new Error(`Conv2d: expected input [N,H,W,${this.inChannels}] (NHWC), got [${x.shape.join(',')}]`);
    }
    return tf.tidy(() => {
      let input = x;
      let pad: 'same' | 'valid' | number;
      if (typeof this.padding === 'object') {
        const [t, b, l, r] = this.padding;
        input = tf.pad(x, [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ]);
        pad = 'valid';
      } else {
        pad = this.padding;
      }
      let y = tf.conv2d(input, this.weight as tf.Tensor4D, this.stride, pad);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }

  /** Convert one of this layer's tensors to PyTorch layout (`weight` `[kh,kw,in,out]` → `[out,in,kh,kw]`). */
  static toTorchLayout(name: string, t: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(t, [3, 2, 0, 1]) : tf.clone(t);
  }

  /** Convert a PyTorch `nn.Conv2d` tensor (`weight` `[out,in,kh,kw]`) to this layer's layout (`[kh,kw,in,out]`). */
  static fromTorchLayout(name: string, t: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(t, [2, 3, 1, 0]) : tf.clone(t);
  }
}

function pair(field: string, v: number | readonly [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const n of p) assertPositiveInt('Conv2d', field, n);
  return p;
}

function checkPadding(p: Conv2dPadding): Conv2dPadding {
  if (p === 'same' || p === 'valid') return p;
  const values = typeof p === 'number' ? [p] : Array.isArray(p) && p.length === 4 ? p : undefined;
  if (!values || values.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(
      `Conv2d: padding must be 'same', 'valid', a non-negative integer or [top,bottom,left,right], got ${JSON.stringify(p)}`,
    );
  }
  return p;
}
