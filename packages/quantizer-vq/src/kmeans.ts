import * as tf from '@tensorflow/tfjs';
import { l2NormalizeRows } from './graph.js';
import { nearestCodeIndices, type NearestSearchOptions } from './nearest.js';

/** Options of {@link kmeans}. */
export interface KMeansOptions {
  /** Number of clusters K. */
  clusters: number;
  /** Lloyd iterations. @default 10 */
  iterations?: number;
  /** Cosine k-means: unit-norm points, dot-product assignment, re-normalised means. @default false */
  cosine?: boolean;
  /** Row indices of `points` used as the initial centres (length K, values in `[0, N)`). */
  initialRows: ArrayLike<number>;
  /** Chunk bound of the nearest-centre search. @default 4194304 */
  maxChunkElements?: number;
  /** Method of the nearest-centre search (see {@link NearestSearchOptions.method}). @default "auto" */
  method?: 'auto' | 'tensor' | 'host';
}

/**
 * Lloyd's k-means on the rows of `points` `[N,e]`, starting from the given rows. Each iteration assigns every
 * point to its nearest centre (ties → lowest index) and moves every centre to the mean of its points; a centre
 * with no points keeps its previous position. Returns the centres `[K,e]`.
 */
export function kmeans(points: tf.Tensor2D, options: KMeansOptions): tf.Tensor2D {
  const { clusters, initialRows } = options;
  const iterations = options.iterations ?? 10;
  const cosine = options.cosine ?? false;
  if (initialRows.length !== clusters) {
    throw new Error(`kmeans: expected ${clusters} initial rows, got ${initialRows.length}`);
  }
  return tf.tidy(() => {
    const x = cosine ? l2NormalizeRows(points) : points;
    const n = x.shape[0];
    const ones = tf.ones([n]);
    let centres = tf.gather(x, tf.tensor1d(Array.from(initialRows), 'int32')) as tf.Tensor2D;
    for (let it = 0; it < iterations; it++) {
      const next = tf.tidy(() => {
        const assign = nearestCodeIndices(x, centres, { maxChunkElements: options.maxChunkElements, method: options.method });
        const where = tf.expandDims(assign, 1);
        const sums = tf.scatterND(where, x, centres.shape) as tf.Tensor2D;
        const counts = tf.expandDims(tf.scatterND(where, ones, [clusters]), 1);
        let means = tf.div(sums, tf.maximum(counts, 1)) as tf.Tensor2D;
        if (cosine) means = l2NormalizeRows(means);
        return tf.where(tf.greater(counts, 0), means, centres) as tf.Tensor2D;
      });
      centres.dispose();
      centres = next;
    }
    return centres;
  });
}
