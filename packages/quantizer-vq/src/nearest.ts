import * as tf from '@tensorflow/tfjs';

/** Default bound on the number of distance entries computed at once: 4 Mi floats = 16 MiB. */
export const DEFAULT_SEARCH_CHUNK_ELEMENTS = 1 << 22;

/** Options of {@link nearestCodeIndices}. */
export interface NearestSearchOptions {
  /**
   * Largest number of distance entries (rows × codes) held at once. The rows and, when needed, the codebook are
   * split into chunks so that no `N×K` matrix is ever materialised.
   * @default 4194304
   */
  maxChunkElements?: number;
}

/**
 * Index of the nearest codebook row for every row of `z`, by squared Euclidean distance
 * `‖z‖² + ‖e_k‖² − 2 z·e_k`; ties go to the lowest index.
 *
 * The distance matrix is computed in blocks of at most `maxChunkElements` entries: per row block, the codebook is
 * swept in column blocks keeping a running minimum and its index (a later block wins only when strictly closer,
 * which preserves lowest-index tie breaking). Memory is bounded independently of `N` and `K`.
 *
 * For cosine search, pass L2-normalised `z` and codebook: the Euclidean argmin of unit vectors is the cosine argmax.
 *
 * @param z Rows `[N,e]` (float32).
 * @param codebook Codebook `[K,e]`.
 * @returns int32 indices `[N]`. The function creates no gradient: call it on values, not on the tape.
 */
export function nearestCodeIndices(
  z: tf.Tensor2D,
  codebook: tf.Tensor2D,
  options: NearestSearchOptions = {},
): tf.Tensor1D {
  const maxElements = options.maxChunkElements ?? DEFAULT_SEARCH_CHUNK_ELEMENTS;
  if (!Number.isInteger(maxElements) || maxElements < 1) {
    throw new Error(`nearestCodeIndices: maxChunkElements must be a positive integer, got ${maxElements}`);
  }
  const [n, e] = z.shape;
  const [k, ce] = codebook.shape;
  if (e !== ce) {
    throw new Error(`nearestCodeIndices: rows have ${e} channels but the codebook has ${ce}`);
  }
  if (n === 0) return tf.zeros([0], 'int32');
  const codeBlock = Math.min(k, maxElements);
  const rowBlock = Math.max(1, Math.floor(maxElements / codeBlock));

  return tf.tidy(() => {
    const codebookT = tf.transpose(codebook); // [e,K], transposed once so every matmul is un-transposed
    const codeNorms = tf.sum(tf.square(codebook), 1) as tf.Tensor1D; // [K]
    const codeChunks: Array<{ start: number; t: tf.Tensor2D; norms: tf.Tensor1D }> = [];
    for (let start = 0; start < k; start += codeBlock) {
      const size = Math.min(codeBlock, k - start);
      codeChunks.push({
        start,
        t: codeBlock === k ? codebookT : tf.slice(codebookT, [0, start], [e, size]),
        norms: (codeBlock === k ? codeNorms : tf.slice(codeNorms, [start], [size])) as tf.Tensor1D,
      });
    }
    const parts: tf.Tensor1D[] = [];
    for (let row = 0; row < n; row += rowBlock) {
      const rows = Math.min(rowBlock, n - row);
      parts.push(
        tf.tidy(() => {
          const zc = rows === n ? z : tf.slice(z, [row, 0], [rows, e]);
          const zNorms = tf.sum(tf.square(zc), 1, true); // [R,1]
          let bestDist: tf.Tensor1D | undefined;
          let bestIndex: tf.Tensor1D | undefined;
          for (const chunk of codeChunks) {
            const [dist, index] = tf.tidy(() => {
              const d = tf.sub(tf.add(zNorms, chunk.norms), tf.mul(2, tf.matMul(zc, chunk.t))) as tf.Tensor2D;
              return [tf.min(d, 1) as tf.Tensor1D, tf.add(tf.argMin(d, 1), tf.scalar(chunk.start, 'int32')) as tf.Tensor1D];
            });
            if (!bestDist || !bestIndex) {
              bestDist = dist;
              bestIndex = index;
              continue;
            }
            const closer = tf.less(dist, bestDist);
            const nextDist = tf.where(closer, dist, bestDist);
            const nextIndex = tf.where(closer, index, bestIndex);
            tf.dispose([closer, dist, index, bestDist, bestIndex]);
            bestDist = nextDist;
            bestIndex = nextIndex;
          }
          return bestIndex as tf.Tensor1D;
        }),
      );
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts);
  });
}
