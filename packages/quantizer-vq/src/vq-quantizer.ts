import * as tf from '@tensorflow/tfjs';
import { Module, SeededRng } from '@ifsq/core';
import { histogram, occupancy } from '@ifsq/metrics';
import type { LatentSpec, QuantizeOptions, QuantizeResult, Quantizer } from '@ifsq/core';
import { l2NormalizeRows, lookupRows, stopGradient, straightThrough, untaped } from './graph.js';
import { kmeans } from './kmeans.js';
import { nearestCodeIndices } from './nearest.js';
import { resolveVqOptions, type VqOptions } from './options.js';
import { UsageWindow } from './usage-window.js';

/** Constructor options of {@link VectorQuantizer}: any {@link VqOptions} plus the seed of its random streams. */
export interface VectorQuantizerInit extends Partial<VqOptions> {
  /** Seed of the codebook initialisation, k-means sampling and dead-code restarts. @default 0 */
  seed?: number;
}

/**
 * Vector quantizer (VQ-VAE bottleneck): each position of a latent `[B,h,w,e]` is replaced by its nearest
 * codebook row, with a straight-through gradient to the encoder.
 *
 * - search: squared Euclidean distance, ties → lowest index, chunked so memory stays bounded for K = 16384;
 *   with `l2Normalize`, inputs and codes are unit vectors (cosine search, LlamaGen VQ-16) and the codes returned
 *   are the normalised rows;
 * - losses (`auxLoss`): commitment `mean((sg[z_q] − z)²)` and codebook `mean((z_q − sg[z])²)`, combined per
 *   `lossForm`; with `ema` only the commitment term is kept (weight β for `standard`, 1 for `legacy`);
 * - training side effects (EMA, k-means init, dead-code restart, usage window) run with the gradient tape
 *   paused and write variables with `assign`, so the number of live tensors does not grow across steps.
 *
 * Buffers: `cluster_size` (EMA of per-code counts, always kept; dead-code restart reads it), `embed_sum` (EMA of
 * assigned vector sums, with `ema`), `initialized` (1 after k-means init). With `ema` the codebook itself is a
 * buffer (`codebook`), otherwise a parameter.
 */
export class VectorQuantizer extends Module implements Quantizer {
  /** Resolved options. */
  readonly options: Readonly<VqOptions>;
  readonly spec: LatentSpec;
  readonly inputChannels: number;
  /** The codebook `[K,e]` (a buffer when `ema` is on). Rows are not normalised even in cosine mode. */
  readonly codebook: tf.Variable;
  readonly #clusterSize: tf.Variable;
  readonly #embedSum: tf.Variable | undefined;
  readonly #initialized: tf.Variable | undefined;
  #initializedOnHost = false;
  readonly #rng: SeededRng;
  /** Stream of the current call: derived from the caller's per-step seed when given (exact resume), else #rng. */
  #stepRng: SeededRng | undefined;
  readonly #window: UsageWindow;

  constructor(init: VectorQuantizerInit = {}) {
    super();
    const { seed = 0, ...rest } = init;
    const o = resolveVqOptions(rest);
    this.options = Object.freeze(o);
    this.#rng = new SeededRng(`vq/${seed}`);
    const k = o.codebookSize;
    const e = o.codebookDim;
    this.inputChannels = e;
    this.spec = {
      channels: e,
      kind: 'discrete',
      valueRange: null,
      vocabSizes: [k],
      bitsPerValue: Math.log2(k),
      valuesPerPosition: 1,
      scale: { kind: 'constant', factor: 1 },
    };
    const initial = tf.randomUniform([k, e], -1 / k, 1 / k, 'float32', this.#rng.seed());
    if (o.ema) {
      this.codebook = this.addBuffer('codebook', initial);
      this.#embedSum = this.addBuffer('embed_sum', this.codebook.clone());
    } else {
      this.codebook = this.addParameter('codebook', initial);
    }
    this.#clusterSize = this.addBuffer('cluster_size', tf.ones([k]));
    if (o.kmeansInit) this.#initialized = this.addBuffer('initialized', tf.scalar(0));
    this.#window = new UsageWindow(k, o.usageWindow);
  }

  /** The codebook as searched and looked up: L2-normalised rows in cosine mode, the raw rows otherwise. */
  effectiveCodebook(): tf.Tensor2D {
    return this.options.l2Normalize ? l2NormalizeRows(this.codebook as tf.Tensor2D) : (this.codebook.clone() as tf.Tensor2D);
  }

  /** Per-code counts of the usage window (most recent `usageWindow` training assignments). */
  windowCounts(): Readonly<Float64Array> {
    return this.#window.counts;
  }

  quantize(z: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    const training = options.training ?? false;
    const [b, h, w, c] = z.shape;
    if (c !== this.inputChannels) {
      throw new Error(`vq quantizer: input has ${c} channels, expected codebookDim = ${this.inputChannels}`);
    }
    const o = this.options;
    this.#stepRng = options.seed !== undefined ? new SeededRng(`vq-step/${options.seed}`) : this.#rng;
    if (training && o.kmeansInit && !this.#isInitialized()) this.#kmeansInit(z);

    const out = tf.tidy(() => {
      const flat = tf.reshape(z, [b * h * w, c]) as tf.Tensor2D;
      const zIn = o.l2Normalize ? l2NormalizeRows(flat) : flat;
      const table = o.l2Normalize ? l2NormalizeRows(this.codebook as tf.Tensor2D) : (this.codebook as tf.Tensor2D);
      const indices = untaped(() =>
        nearestCodeIndices(zIn, table, { maxChunkElements: o.searchChunkElements, method: o.searchMethod }),
      );
      const zq = lookupRows(table, indices);
      const commitment = tf.mean(tf.square(tf.sub(stopGradient(zq), zIn))) as tf.Scalar;
      let auxLoss: tf.Scalar;
      let codebookLoss: tf.Scalar | undefined;
      if (o.ema) {
        auxLoss = tf.mul(commitment, o.lossForm === 'standard' ? o.beta : 1);
      } else {
        codebookLoss = tf.mean(tf.square(tf.sub(zq, stopGradient(zIn)))) as tf.Scalar;
        auxLoss =
          o.lossForm === 'standard'
            ? tf.add(codebookLoss, tf.mul(commitment, o.beta))
            : tf.add(commitment, tf.mul(codebookLoss, o.beta));
      }
      const codes = tf.reshape(straightThrough(zIn, zq), [b, h, w, c]) as tf.Tensor4D;
      return {
        codes,
        indices,
        auxLoss,
        commitment: stopGradient(commitment),
        codebookLoss: codebookLoss ? stopGradient(codebookLoss) : undefined,
        zIn: stopGradient(zIn),
      };
    });

    const stats: Record<string, number> = {};
    try {
      if (training) this.#updateAfterStep(out.zIn, out.indices);
      if (options.collectStats) {
        const indexValues = out.indices.dataSync();
        const batchCounts = histogram(indexValues, o.codebookSize);
        const usage = occupancy(training ? this.#window.counts : batchCounts, o.codebookSize);
        stats.utilization = usage.utilization;
        stats.entropy_bits = usage.entropyBits;
        stats.entropy_norm = usage.normalizedEntropy;
        stats.perplexity = usage.perplexity;
        stats.usage_window = training ? this.#window.size : indexValues.length;
        stats.batch_utilization = occupancy(batchCounts, o.codebookSize).utilization;
        stats.commitment_loss = out.commitment.dataSync()[0];
        if (out.codebookLoss) stats.codebook_loss = out.codebookLoss.dataSync()[0];
        const [latentMean, latentVar] = tf.tidy(() => {
          const m = tf.moments(z);
          return [m.mean.dataSync()[0], m.variance.dataSync()[0]];
        });
        stats.latent_mean = latentMean;
        stats.latent_var = latentVar;
        stats.bits_per_value = this.spec.bitsPerValue;
        stats.codebook_size = o.codebookSize;
        if (o.deadCodeThreshold > 0) stats.dead_codes = this.#countDeadCodes();
      }
    } finally {
      tf.dispose([out.commitment, out.zIn]);
      if (out.codebookLoss) out.codebookLoss.dispose();
    }
    const indices = tf.reshape(out.indices, [b, h, w]);
    out.indices.dispose();
    return { codes: out.codes, indices, auxLoss: out.auxLoss, stats };
  }

  codesToIndices(codes: tf.Tensor4D): tf.Tensor {
    const [b, h, w, c] = codes.shape;
    if (c !== this.spec.channels) {
      throw new Error(`vq quantizer: codes have ${c} channels, expected ${this.spec.channels}`);
    }
    return untaped(() => {
      const flat = tf.reshape(codes, [b * h * w, c]) as tf.Tensor2D;
      const table = this.effectiveCodebook();
      const idx = nearestCodeIndices(flat, table, {
        maxChunkElements: this.options.searchChunkElements,
        method: this.options.searchMethod,
      });
      return tf.reshape(idx, [b, h, w]);
    });
  }

  indicesToCodes(indices: tf.Tensor): tf.Tensor4D {
    if (indices.rank !== 3) {
      throw new Error(`vq quantizer: indices must have shape [B,h,w], got [${indices.shape.join(',')}]`);
    }
    const [b, h, w] = indices.shape;
    return tf.tidy(() => {
      const table = this.effectiveCodebook();
      const rows = tf.gather(table, tf.reshape(tf.cast(indices, 'int32'), [-1]));
      return tf.reshape(rows, [b, h, w, this.spec.channels]) as tf.Tensor4D;
    });
  }

  #isInitialized(): boolean {
    if (!this.#initializedOnHost && this.#initialized) {
      this.#initializedOnHost = this.#initialized.dataSync()[0] > 0;
    }
    return this.#initializedOnHost;
  }

  #kmeansInit(z: tf.Tensor4D): void {
    const o = this.options;
    const n = z.shape[0] * z.shape[1] * z.shape[2];
    const rows = this.#sampleRows(n, o.codebookSize);
    untaped(() => {
      const flat = tf.reshape(z, [n, o.codebookDim]) as tf.Tensor2D;
      const centres = kmeans(flat, {
        clusters: o.codebookSize,
        iterations: o.kmeansIterations,
        cosine: o.l2Normalize,
        initialRows: rows,
        maxChunkElements: o.searchChunkElements,
        method: o.searchMethod,
      });
      this.codebook.assign(centres);
      this.#embedSum?.assign(centres);
      this.#clusterSize.assign(tf.onesLike(this.#clusterSize));
      this.#initialized?.assign(tf.scalar(1));
      return tf.scalar(0);
    }).dispose();
    this.#initializedOnHost = true;
  }

  /** `count` row indices in `[0, n)`: distinct when `n ≥ count`, else drawn with replacement. */
  #sampleRows(n: number, count: number): Int32Array {
    const rng = this.#stepRng ?? this.#rng;
    if (n >= count) return rng.permutation(n).subarray(0, count);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = rng.int(n);
    return out;
  }

  /** EMA counts/codebook, dead-code restart and the usage window, after the assignments of one training batch. */
  #updateAfterStep(zIn: tf.Tensor2D, indices: tf.Tensor1D): void {
    const o = this.options;
    const k = o.codebookSize;
    const decay = o.emaDecay;
    const restartRows = o.deadCodeThreshold > 0 ? this.#sampleRows(zIn.shape[0], k) : undefined;
    untaped(() => {
      const where = tf.expandDims(indices, 1);
      const counts = tf.scatterND(where, tf.ones([indices.shape[0]]), [k]) as tf.Tensor1D;
      let clusterSize = tf.add(tf.mul(this.#clusterSize, decay), tf.mul(counts, 1 - decay)) as tf.Tensor1D;
      let codebook: tf.Tensor2D | undefined;
      let embedSum: tf.Tensor2D | undefined;
      if (o.ema && this.#embedSum) {
        const sums = tf.scatterND(where, zIn, [k, o.codebookDim]);
        embedSum = tf.add(tf.mul(this.#embedSum, decay), tf.mul(sums, 1 - decay)) as tf.Tensor2D;
        const total = tf.sum(clusterSize);
        const smoothed = tf.mul(tf.div(tf.add(clusterSize, o.emaEpsilon), tf.add(total, k * o.emaEpsilon)), total);
        codebook = tf.div(embedSum, tf.expandDims(smoothed, 1)) as tf.Tensor2D;
      }
      if (restartRows) {
        const threshold = o.deadCodeThreshold;
        const dead = tf.less(clusterSize, threshold);
        const dead2 = tf.expandDims(dead, 1);
        const fresh = tf.gather(zIn, tf.tensor1d(restartRows, 'int32')) as tf.Tensor2D;
        const current = codebook ?? (this.codebook as tf.Tensor2D);
        codebook = tf.where(dead2, fresh, current) as tf.Tensor2D;
        clusterSize = tf.where(dead, tf.fill([k], threshold), clusterSize) as tf.Tensor1D;
        if (embedSum) embedSum = tf.where(dead2, tf.mul(fresh, threshold), embedSum) as tf.Tensor2D;
      }
      this.#clusterSize.assign(clusterSize);
      if (embedSum) this.#embedSum?.assign(embedSum);
      if (codebook) this.codebook.assign(codebook);
      return tf.scalar(0);
    }).dispose();
    this.#window.push(indices.dataSync());
  }

  #countDeadCodes(): number {
    const sizes = this.#clusterSize.dataSync();
    let dead = 0;
    for (let i = 0; i < sizes.length; i++) if (sizes[i] < this.options.deadCodeThreshold) dead += 1;
    return dead;
  }
}
