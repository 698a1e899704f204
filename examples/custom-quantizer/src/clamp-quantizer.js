/**
 * The hard-clamp scalar quantizer.
 *
 * Per channel i with L_i levels:
 *   y     = clamp(z, -1, 1)                      (gradient 0 outside [-1, 1]: the "hard" bound)
 *   digit = round((y + 1) · (L_i − 1) / 2)       ∈ {0 … L_i − 1}, straight-through gradient
 *   code  = digit · 2 / (L_i − 1) − 1            ∈ {−1, …, 1}, L_i evenly spaced values
 *   index = Σ_i digit_i · β_i,  β = [1, L_1, L_1·L_2, …]   (little-endian mixed radix)
 *
 * Unlike FSQ's tanh bound or iFSQ's sigmoid bound, values beyond ±1 all land in the edge bins and get no gradient;
 * the `clamped_fraction` statistic shows how often that happens.
 *
 * The module takes the tfjs instance as a constructor argument (the run's `ctx.tf`), so it never imports
 * TensorFlow.js itself and always uses the same copy as the run.
 */

/** @typedef {typeof import('@tensorflow/tfjs')} Tf */
/** @typedef {import('@tensorflow/tfjs').Tensor} Tensor */
/** @typedef {import('@tensorflow/tfjs').Tensor4D} Tensor4D */
/** @typedef {import('@ifsq/core').QuantizeOptions} QuantizeOptions */
/** @typedef {import('@ifsq/core').QuantizeResult} QuantizeResult */
/** @typedef {import('@ifsq/core').LatentSpec} LatentSpec */
/** @typedef {import('@ifsq/core').Quantizer} Quantizer */

/**
 * Hard-clamp scalar quantizer with straight-through rounding; see the module comment for the formulas.
 * @implements {Quantizer}
 */
export class ClampQuantizer {
  /**
   * @param {Tf} tf - The tfjs module to compute with.
   * @param {{ levels: number[] }} options - Levels per channel (each an integer ≥ 2).
   */
  constructor(tf, options) {
    const levels = options?.levels;
    if (!Array.isArray(levels) || levels.length === 0 || !levels.every((l) => Number.isInteger(l) && l >= 2)) {
      throw new Error(`ClampQuantizer: levels must be a non-empty list of integers >= 2 (got ${JSON.stringify(levels)})`);
    }
    /** @readonly */
    this.tf = tf;
    /** @readonly @type {number[]} */
    this.levels = [...levels];
    /** Mixed-radix basis, little-endian. @readonly @type {number[]} */
    this.basis = levels.map((_, i) => levels.slice(0, i).reduce((a, b) => a * b, 1));
    const size = levels.reduce((a, b) => a * b, 1);
    if (size > 2 ** 31 - 1) throw new Error(`ClampQuantizer: codebook size ${size} does not fit int32 indices`);
    /** @readonly */
    this.inputChannels = levels.length;
    /** @readonly @type {LatentSpec} */
    this.spec = {
      channels: levels.length,
      kind: 'discrete',
      valueRange: [-1, 1],
      levels: [...levels],
      vocabSizes: [size],
      indexOrder: 'little',
      bitsPerValue: levels.reduce((sum, l) => sum + Math.log2(l), 0) / levels.length,
      valuesPerPosition: levels.length,
      scale: { kind: 'constant', factor: 1 },
    };
    /** Rounding whose gradient is the identity (tf.round's own gradient is zero). */
    this.roundSte = tf.customGrad((x) => ({ value: tf.round(/** @type {Tensor} */ (x)), gradFunc: (dy) => [dy] }));
  }

  /** @param {Tensor} t @param {string} what */
  checkChannels(t, what) {
    const d = t.shape[t.shape.length - 1];
    if (t.rank !== 4 || d !== this.levels.length) {
      throw new Error(
        `ClampQuantizer: ${what} must have shape [B,h,w,${this.levels.length}] (one channel per level), got [${t.shape.join(',')}]`,
      );
    }
  }

  /** Half-steps per channel, (L − 1) / 2, as a [d] tensor. */
  halfSteps() {
    return this.tf.tensor1d(this.levels.map((l) => (l - 1) / 2));
  }

  /**
   * Quantize a latent `[B,h,w,d]`.
   * @param {Tensor4D} z
   * @param {QuantizeOptions} [options]
   * @returns {QuantizeResult}
   */
  quantize(z, options = {}) {
    this.checkChannels(z, 'the latent');
    const tf = this.tf;
    const { codes, indices } = tf.tidy(() => {
      const half = this.halfSteps();
      const digits = this.roundSte(tf.clipByValue(z, -1, 1).add(1).mul(half));
      const codes = /** @type {Tensor4D} */ (digits.div(half).sub(1));
      return { codes, indices: this.digitsToIndices(tf.round(digits)) };
    });
    const stats = options.collectStats ? this.statistics(z, indices) : {};
    return { codes, indices, auxLoss: tf.scalar(0), stats };
  }

  /** @param {Tensor} digits float digits [B,h,w,d] @returns {Tensor} int32 indices [B,h,w] */
  digitsToIndices(digits) {
    const tf = this.tf;
    return tf.tidy(() => digits.toInt().mul(tf.tensor1d(this.basis, 'int32')).sum(-1));
  }

  /**
   * Host-side diagnostics, with the key names the other ifsq quantizers use so reports line up:
   * `utilization` (share of the Π L_i codewords seen in the batch), `entropy_bits`, `entropy_norm`
   * (entropy / log2 of the codebook size), `perplexity`, `latent_mean`, `latent_var`, plus this quantizer's own
   * `clamped_fraction` (share of latent values with |z| > 1).
   * @param {Tensor} z @param {Tensor} indices @returns {Record<string, number>}
   */
  statistics(z, indices) {
    const tf = this.tf;
    const [clamped, mean, variance] = tf.tidy(() => {
      const { mean, variance } = tf.moments(z);
      return [tf.abs(z).greater(1).toFloat().mean().dataSync()[0], mean.dataSync()[0], variance.dataSync()[0]];
    });
    const values = indices.dataSync();
    /** @type {Map<number, number>} */
    const counts = new Map();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    let entropy = 0;
    for (const c of counts.values()) {
      const p = c / values.length;
      entropy -= p * Math.log2(p);
    }
    const size = /** @type {number[]} */ (this.spec.vocabSizes)[0];
    return {
      utilization: counts.size / size,
      entropy_bits: entropy,
      entropy_norm: entropy / Math.log2(size),
      perplexity: 2 ** entropy,
      latent_mean: mean,
      latent_var: variance,
      clamped_fraction: clamped,
    };
  }

  /**
   * The values just before rounding, clamp(z, −1, 1), for distribution metrics (KS against Uniform(−1, 1)).
   * @param {Tensor4D} z @returns {Tensor4D}
   */
  boundedValues(z) {
    this.checkChannels(z, 'the latent');
    return /** @type {Tensor4D} */ (this.tf.clipByValue(z, -1, 1));
  }

  /**
   * Codes `[B,h,w,d]` on the grid → int32 indices `[B,h,w]`.
   * @param {Tensor4D} codes @returns {Tensor}
   */
  codesToIndices(codes) {
    this.checkChannels(codes, 'codes');
    const tf = this.tf;
    return tf.tidy(() => this.digitsToIndices(tf.round(tf.clipByValue(codes, -1, 1).add(1).mul(this.halfSteps()))));
  }

  /**
   * Indices `[B,h,w]` → codes `[B,h,w,d]`.
   * @param {Tensor} indices @returns {Tensor4D}
   */
  indicesToCodes(indices) {
    if (indices.rank !== 3) throw new Error(`ClampQuantizer: indices must have shape [B,h,w], got [${indices.shape.join(',')}]`);
    const tf = this.tf;
    return tf.tidy(() => {
      const idx = indices.toInt().expandDims(-1);
      const digits = tf.mod(tf.floorDiv(idx, tf.tensor1d(this.basis, 'int32')), tf.tensor1d(this.levels, 'int32'));
      return /** @type {Tensor4D} */ (digits.toFloat().div(this.halfSteps()).sub(1));
    });
  }

  /** No trainable parameters. @returns {Map<string, import('@tensorflow/tfjs').Variable>} */
  namedParameters() {
    return new Map();
  }

  /** No buffers. @returns {Map<string, import('@tensorflow/tfjs').Variable>} */
  namedBuffers() {
    return new Map();
  }

  /** Owns no tensors between calls: nothing to free. */
  dispose() {}
}
