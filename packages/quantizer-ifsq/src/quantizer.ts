/**
 * The iFSQ / FSQ quantizer: bounded scalar quantization with straight-through rounding, an exact fast inference
 * path, index codecs and per-batch diagnostics. Implements the core {@link Quantizer} contract.
 */
import * as tf from '@tensorflow/tfjs';
import type { LatentSpec, QuantizeOptions, QuantizeResult, Quantizer } from '@ifsq/core';
import { bitsPerValue, ksUniform, ksUniformRmse } from '@ifsq/metrics';
import { codesToDigits, digitsToCodes, digitsToIndices, indicesToDigits } from './codec.js';
import { type FsqConfig, type FsqOptions, resolveFsqConfig } from './config.js';
import { fsqDiagnostics } from './diagnostics.js';
import { encodeIndices } from './fast-encode.js';
import { encodeTensor } from './kernel.js';
import { boundedOp, codesOp, indicesFromRoundedOp } from './ops.js';
import { scalarReference } from './reference.js';

/** BatchNorm-style momentum of the running latent statistics (official `RunningFSQ`). */
export const RUNNING_MOMENTUM = 0.1;

/** Build the {@link LatentSpec} of a resolved configuration. */
export function fsqLatentSpec(config: FsqConfig): LatentSpec {
  return {
    channels: config.levels.length,
    kind: 'discrete',
    valueRange: [-1, 1],
    levels: [...config.levels],
    vocabSizes: [...config.vocabSizes],
    indexOrder: config.indexOrder,
    bitsPerValue: bitsPerValue(config.levels),
    valuesPerPosition: config.levels.length,
    scale: { kind: 'constant', factor: config.latentMultiplier },
  };
}

function float32Data(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/**
 * iFSQ (`bound: 'ifsq'`, `y = 2σ(αz)−1`) or vanilla FSQ (`bound: 'tanh'`) quantizer of a channels-last latent
 * `[B,h,w,d]`. No trainable parameters; two buffers `running_mean` and `running_var` track the latent's
 * per-channel statistics in training mode (diagnostic only, never used to normalize).
 */
export class FsqQuantizer implements Quantizer {
  /** Resolved configuration. */
  readonly config: FsqConfig;
  /** Latent space declaration. */
  readonly spec: LatentSpec;
  /** Channels expected from the backbone: `d`. */
  readonly inputChannels: number;
  readonly #runningMean: tf.Variable;
  readonly #runningVar: tf.Variable;
  #disposed = false;

  /** @param options - Levels or bits, bound, α, index order, groups, latent multiplier. */
  constructor(options: FsqOptions) {
    this.config = resolveFsqConfig(options);
    this.spec = fsqLatentSpec(this.config);
    this.inputChannels = this.config.levels.length;
    const d = this.inputChannels;
    this.#runningMean = tf.tidy(() => tf.variable(tf.zeros([d]), false));
    this.#runningVar = tf.tidy(() => tf.variable(tf.ones([d]), false));
  }

  /** No trainable parameters. */
  namedParameters(): Map<string, tf.Variable> {
    return new Map();
  }

  /** `running_mean` and `running_var`, each `[d]`. */
  namedBuffers(): Map<string, tf.Variable> {
    return new Map([
      ['running_mean', this.#runningMean],
      ['running_var', this.#runningVar],
    ]);
  }

  #check(z: tf.Tensor, what: string): void {
    if (this.#disposed) throw new Error('FsqQuantizer: used after dispose()');
    if (z.rank !== 4 || z.shape[3] !== this.inputChannels) {
      throw new Error(`FsqQuantizer.${what}: expected a [B,h,w,${this.inputChannels}] tensor, got [${z.shape.join(',')}]`);
    }
  }

  #indexShape(shape: number[]): number[] {
    const lead = shape.slice(0, 3);
    return this.config.factorized ? [...lead, this.config.groups.length] : lead;
  }

  /**
   * Quantize `z` `[B,h,w,d]`. Training mode runs the op graph (straight-through gradients, running statistics
   * update); otherwise the exact threshold fast path produces identical codes and indices without transcendentals.
   */
  quantize(z: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    this.#check(z, 'quantize');
    const { training = false, collectStats = false } = options;
    let codes: tf.Tensor4D;
    let indices: tf.Tensor;
    if (training) {
      const out = tf.tidy(() => {
        const { codes: c, rounded } = codesOp(z, this.config);
        return { c, i: indicesFromRoundedOp(rounded, this.config) };
      });
      codes = out.c as tf.Tensor4D;
      indices = out.i;
      tf.tidy(() => {
        const { mean, variance } = tf.moments(z, [0, 1, 2]);
        this.#runningMean.assign(tf.add(tf.mul(this.#runningMean, 1 - RUNNING_MOMENTUM), tf.mul(mean, RUNNING_MOMENTUM)));
        this.#runningVar.assign(tf.add(tf.mul(this.#runningVar, 1 - RUNNING_MOMENTUM), tf.mul(variance, RUNNING_MOMENTUM)));
      });
    } else {
      const enc = encodeTensor(z, this.config, this.#indexShape(z.shape));
      codes = enc.codes as tf.Tensor4D;
      indices = enc.indices;
    }
    const stats = collectStats ? this.#stats(z) : {};
    return { codes, indices, auxLoss: tf.scalar(0), stats };
  }

  #stats(z: tf.Tensor4D): Record<string, number> {
    const zData = float32Data(z);
    const { digits } = encodeIndices(zData, this.config, { digits: true });
    const ref = scalarReference(this.config);
    const d = this.inputChannels;
    const bounded = new Float32Array(zData.length);
    for (let p = 0; p < zData.length; p++) bounded[p] = ref.bounded(zData[p], p % d);
    return fsqDiagnostics(
      {
        z: zData,
        bounded,
        digits: digits as Int32Array,
        runningMean: this.#runningMean.dataSync(),
        runningVar: this.#runningVar.dataSync(),
      },
      this.config,
    );
  }

  /**
   * KS statistic (and its RMSE companion) against Uniform(−1,1) of the same latent under both bounds — `ks_ifsq`
   * (2σ(αz)−1, with this quantizer's α when it uses the iFSQ bound, else 1.6) and `ks_tanh` (the FSQ reference
   * bound) — so one trained encoder can be compared across bounds. `ks_ifsq` is NaN when a level is even (the iFSQ
   * bound needs odd levels).
   */
  diagnose(z: tf.Tensor4D): Record<string, number> {
    this.#check(z, 'diagnose');
    const zData = float32Data(z);
    const d = this.inputChannels;
    const out: Record<string, number> = {};
    const alpha = this.config.bound === 'ifsq' ? this.config.alpha : 1.6;
    for (const bound of ['ifsq', 'tanh'] as const) {
      if (bound === 'ifsq' && this.config.levels.some((l) => l % 2 === 0)) {
        out.ks_ifsq = Number.NaN;
        out.ks_rmse_ifsq = Number.NaN;
        continue;
      }
      const ref = scalarReference(resolveFsqConfig({ levels: this.config.levels, bound, alpha }));
      const bounded = new Float32Array(zData.length);
      for (let p = 0; p < zData.length; p++) bounded[p] = ref.bounded(zData[p], p % d);
      out[`ks_${bound}`] = ksUniform(bounded);
      out[`ks_rmse_${bound}`] = ksUniformRmse(bounded);
    }
    return out;
  }

  /**
   * Bounded pre-rounding values in (−1, 1) for a latent `[B,h,w,d]`: `2σ(αz)−1` (ifsq) or `tanh(z + shift)` (tanh).
   * Use them to compute the KS statistic of a trained encoder under either bound.
   */
  boundedValues(z: tf.Tensor4D): tf.Tensor4D {
    this.#check(z, 'boundedValues');
    return boundedOp(z, this.config) as tf.Tensor4D;
  }

  /** Indices of grid codes `[B,h,w,d]` (off-grid values snap to the nearest level). */
  codesToIndices(codes: tf.Tensor4D): tf.Tensor {
    this.#check(codes, 'codesToIndices');
    const digits = codesToDigits(float32Data(codes), this.config);
    return tf.tensor(digitsToIndices(digits, this.config), this.#indexShape(codes.shape), 'int32');
  }

  /** Codes `[B,h,w,d]` of indices `[B,h,w]` (or `[B,h,w,G]` when factorized); exact inverse of `codesToIndices`. */
  indicesToCodes(indices: tf.Tensor): tf.Tensor4D {
    if (this.#disposed) throw new Error('FsqQuantizer: used after dispose()');
    const G = this.config.groups.length;
    const expectedRank = this.config.factorized ? 4 : 3;
    if (indices.rank !== expectedRank || (this.config.factorized && indices.shape[3] !== G)) {
      const want = this.config.factorized ? `[B,h,w,${G}]` : '[B,h,w]';
      throw new Error(`FsqQuantizer.indicesToCodes: expected indices ${want}, got [${indices.shape.join(',')}]`);
    }
    const digits = indicesToDigits(indices.dataSync() as ArrayLike<number>, this.config);
    const [b, h, w] = indices.shape;
    return tf.tensor4d(digitsToCodes(digits, this.config), [b, h, w, this.inputChannels], 'float32');
  }

  /** Dispose the running-statistics buffers. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#runningMean.dispose();
    this.#runningVar.dispose();
  }
}
