/**
 * `createFsq`: the quantizer without a pipeline, for people who only want iFSQ/FSQ.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LatentSpec, QuantizeOptions } from '@ifsq/core';
import type { FsqOptions } from './config.js';
import { type EncodedLatent, type EncodeOutputs, encodeIndices } from './fast-encode.js';
import { FsqQuantizer } from './quantizer.js';

/** Result of {@link Fsq.quantize}. The caller disposes `codes` and `indices`. */
export interface FsqResult {
  /** Codes `[B,h,w,d]` on the normalized grid in [−1, 1], straight-through gradients in training mode. */
  codes: tf.Tensor4D;
  /** int32 indices `[B,h,w]`, or `[B,h,w,G]` with `groups`. */
  indices: tf.Tensor;
  /** Diagnostics when `collectStats` is set (see {@link FsqQuantizer.quantize}); otherwise empty. */
  stats: Record<string, number>;
}

/** A standalone iFSQ/FSQ quantizer. */
export interface Fsq {
  /** Latent space declaration: levels, vocabulary sizes, index order, bits per value. */
  readonly spec: LatentSpec;
  /** The underlying {@link FsqQuantizer} (implements the core `Quantizer` contract). */
  readonly quantizer: FsqQuantizer;
  /** Quantize a channels-last latent `[B,h,w,d]`. */
  quantize(z: tf.Tensor4D, options?: QuantizeOptions): FsqResult;
  /** Indices of codes `[B,h,w,d]`. */
  codesToIndices(codes: tf.Tensor4D): tf.Tensor;
  /** Codes of indices; the exact inverse of {@link Fsq.codesToIndices}. */
  indicesToCodes(indices: tf.Tensor): tf.Tensor4D;
  /** Bounded pre-rounding values in (−1, 1) (for KS against a uniform). */
  boundedValues(z: tf.Tensor4D): tf.Tensor4D;
  /** Fast host-side encoding of a flattened float32 latent `[N, d]` (no tensors involved). */
  encodeIndices(z: Float32Array, outputs?: EncodeOutputs): EncodedLatent;
  /** Free the quantizer's buffers. */
  dispose(): void;
}

/**
 * Create an iFSQ (default) or FSQ quantizer.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createFsq } from '@ifsq/quantizer-ifsq';
 *
 * const fsq = createFsq({ bits: 4, channels: 4 });          // 17 levels per dimension, bound 2σ(1.6z)−1
 * const z = tf.randomNormal([2, 16, 16, 4]) as tf.Tensor4D;
 * const { codes, indices } = fsq.quantize(z);              // codes [2,16,16,4], indices [2,16,16] in [0, 83521)
 * const back = fsq.indicesToCodes(indices);                // equals codes
 * tf.dispose([z, codes, indices, back]);
 * fsq.dispose();
 * ```
 */
export function createFsq(options: FsqOptions): Fsq {
  const quantizer = new FsqQuantizer(options);
  return {
    spec: quantizer.spec,
    quantizer,
    quantize(z, opts) {
      const { codes, indices, auxLoss, stats } = quantizer.quantize(z, opts);
      auxLoss.dispose();
      return { codes, indices: indices as tf.Tensor, stats };
    },
    codesToIndices: (codes) => quantizer.codesToIndices(codes),
    indicesToCodes: (indices) => quantizer.indicesToCodes(indices),
    boundedValues: (z) => quantizer.boundedValues(z),
    encodeIndices: (z, outputs) => encodeIndices(z, quantizer.config, outputs),
    dispose: () => quantizer.dispose(),
  };
}
