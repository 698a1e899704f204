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
  /**
   * `tensor`: chunked tfjs ops (any backend). `host`: a plain-JavaScript loop over the rows and codes, in float64
   * (reads both operands to the host; several times faster than tfjs-cpu's matmul). `auto` picks `host` on the
   * `cpu` backend, where reading tensors is free, and `tensor` elsewhere.
   * @default "auto"
   */
  method?: 'auto' | 'tensor' | 'host';
}

/**
 * Index of the nearest codebook row for every row of `z`, by squared Euclidean distance
 * `‖z‖² + ‖e_k‖² − 2 z·e_k`; ties go to the lowest index. The row's `‖z‖²` is the same for every code, so it is
 * left out of the comparison (it cannot change the argmin); one chunk-sized tensor is alive at a time.
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
  const method = options.method ?? 'auto';
  if (method === 'host' || (method === 'auto' && tf.getBackend() === 'cpu')) {
    return tf.tensor1d(nearestOnHost(z.dataSync(), codebook.dataSync(), n, k, e), 'int32');
  }
  const codeBlock = Math.min(k, maxElements);
  const rowBlock = Math.max(1, Math.floor(maxElements / codeBlock));

  return tf.tidy(() => {
    // Augmented operands fold ‖e‖² into the product: [z, 1] · [−2e, ‖e‖²]ᵀ = ‖e‖² − 2 z·e, so each chunk costs
    // one matmul and no broadcast add. Transposed once, so every chunk matmul is un-transposed (fast on wasm).
    const augmentedT = tf.concat(
      [tf.mul(tf.transpose(codebook), -2), tf.expandDims(tf.sum(tf.square(codebook), 1), 0)],
      0,
    ) as tf.Tensor2D; // [e+1,K]
    const zAug = tf.concat([z, tf.ones([n, 1])], 1) as tf.Tensor2D; // [N,e+1]
    const codeChunks: Array<{ start: number; t: tf.Tensor2D }> = [];
    for (let start = 0; start < k; start += codeBlock) {
      const size = Math.min(codeBlock, k - start);
      codeChunks.push({ start, t: codeBlock === k ? augmentedT : tf.slice(augmentedT, [0, start], [e + 1, size]) });
    }
    const parts: tf.Tensor1D[] = [];
    for (let row = 0; row < n; row += rowBlock) {
      const rows = Math.min(rowBlock, n - row);
      parts.push(
        tf.tidy(() => {
          const zc = rows === n ? zAug : tf.slice(zAug, [row, 0], [rows, e + 1]);
          let bestDist: tf.Tensor1D | undefined;
          let bestIndex: tf.Tensor1D | undefined;
          for (const chunk of codeChunks) {
            const [dist, index] = tf.tidy(() => {
              const d = tf.matMul(zc, chunk.t); // ‖e‖² − 2 z·e, the only chunk-sized tensor
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

/** Nearest-code search in float64 on host arrays (row-major `[n,e]` and `[k,e]`); ties → lowest index. */
function nearestOnHost(z: ArrayLike<number>, codebook: ArrayLike<number>, n: number, k: number, e: number): Int32Array {
  const norms = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let c = 0; c < e; c++) s += codebook[j * e + c] * codebook[j * e + c];
    norms[j] = s;
  }
  const out = new Int32Array(n);
  const row = new Float64Array(e);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < e; c++) row[c] = z[i * e + c];
    let best = 0;
    let bestDist = Infinity;
    for (let j = 0; j < k; j++) {
      let dot = 0;
      const base = j * e;
      for (let c = 0; c < e; c++) dot += row[c] * codebook[base + c];
      const d = norms[j] - 2 * dot;
      if (d < bestDist) {
        bestDist = d;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}
