import * as tf from '@tensorflow/tfjs';

/** The handful of tensor operations the composite kernels are written against. */
export interface TensorOps<T extends { readonly shape: number[] }> {
  /** Zero padding, one `[before, after]` pair per axis. */
  pad(x: T, paddings: Array<[number, number]>): T;
  /** Contiguous slice. */
  slice(x: T, begin: number[], size: number[]): T;
  /** Strided slice with explicit begin, end (exclusive) and strides on every axis. */
  stridedSlice(x: T, begin: number[], end: number[], strides: number[]): T;
  /** Concatenation along `axis`. */
  concat(xs: T[], axis: number): T;
  /** Reshape. */
  reshape(x: T, shape: number[]): T;
  /** Axis permutation. */
  transpose(x: T, perm: number[]): T;
  /** Plain 2-D product `a[m,k] · b[k,n]` (neither operand transposed). */
  matMul(a: T, b: T): T;
  /** NHWC convolution, stride 1, no padding, optional filter dilation. */
  conv2dValid(x: T, filter: T, dilations?: [number, number]): T;
  /** NHWC convolution, stride 1, with zero padding `[[top, bottom], [left, right]]` (all ≥ 0) done by the kernel. */
  conv2dPadded(x: T, filter: T, pads: [[number, number], [number, number]]): T;
  /** Reverse along axes. */
  reverse(x: T, axes: number[]): T;
}

/**
 * `TensorOps` over the public tfjs API: works on every backend and is differentiable. Callers wrap use in
 * `tf.tidy` so intermediates are released.
 */
export const publicOps: TensorOps<tf.Tensor> = {
  pad: (x, p) => tf.pad(x, p),
  slice: (x, begin, size) => tf.slice(x, begin, size),
  stridedSlice: (x, begin, end, strides) => tf.stridedSlice(x, begin, end, strides),
  concat: (xs, axis) => (xs.length === 1 ? xs[0] : tf.concat(xs, axis)),
  reshape: (x, shape) => tf.reshape(x, shape),
  transpose: (x, perm) => tf.transpose(x, perm),
  matMul: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  conv2dValid: (x, f, dilations = [1, 1]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid', 'NHWC', dilations),
  conv2dPadded: (x, f, [h, w]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, [[0, 0], h, w, [0, 0]], 'NHWC'),
  reverse: (x, axes) => tf.reverse(x, axes),
};
