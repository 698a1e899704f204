import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';
import { Module } from './module.js';
import { resolveInitializer, type Initializer, type InitializerName } from './init.js';
import { assertPositiveInt } from './linear.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** Vocabulary size. */
  numEmbeddings: number;
  /** Vector size. */
  dim: number;
  /** Random stream the table is drawn from. */
  rng: Rng;
  /** Table initializer. @default 'normal' (N(0, 0.02²)); PyTorch's own default is N(0, 1) */
  init?: Initializer | InitializerName;
  /**
   * How rows are looked up: `'gather'` (`tf.gather`; its gradient needs UnsortedSegmentSum, present on cpu but not
   * on wasm), or `'oneHot'` (one-hot matmul, differentiable on every backend). @default 'gather'
   */
  lookup?: 'gather' | 'oneHot';
}

/** Lookup table of learned vectors; `weight` `[numEmbeddings, dim]` has PyTorch's layout. */
export class Embedding extends Module {
  /** `[numEmbeddings, dim]`. */
  readonly weight: tf.Variable;
  /** Vocabulary size. */
  readonly numEmbeddings: number;
  /** Vector size. */
  readonly dim: number;
  /** Lookup method. */
  readonly lookup: 'gather' | 'oneHot';

  constructor(options: EmbeddingOptions) {
    super();
    assertPositiveInt('Embedding', 'numEmbeddings', options.numEmbeddings);
    assertPositiveInt('Embedding', 'dim', options.dim);
    this.numEmbeddings = options.numEmbeddings;
    this.dim = options.dim;
    this.lookup = options.lookup ?? 'gather';
    const shape = [this.numEmbeddings, this.dim];
    this.weight = this.addParameter(
      'weight',
      resolveInitializer(options.init ?? 'normal')(shape, { fanIn: this.numEmbeddings, fanOut: this.dim }, options.rng),
    );
  }

  /** Look up int32 `ids` of any shape; returns `[...ids.shape, dim]`. */
  forward(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding: ids must be int32, got ${ids.dtype}`);
    return tf.tidy(() => {
      if (this.lookup === 'gather') return tf.gather(this.weight, ids);
      const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
      // int32 one-hot then a cast: a float32 OneHot gives zeros on the wasm backend of tfjs 4.22.
      const oneHot = tf.cast(tf.oneHot(flat, this.numEmbeddings), 'float32') as tf.Tensor2D;
      const rows = tf.matMul(oneHot, this.weight as tf.Tensor2D);
      return tf.reshape(rows, [...ids.shape, this.dim]);
    });
  }
}
