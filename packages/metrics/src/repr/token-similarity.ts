import { toRowMajor, type FeatureMatrix } from '../fid/feature-matrix.js';

/** Inputs of {@link tokenSimilarityByLayer}. */
export interface TokenSimilarityInput {
  /** Hidden states per layer, each `[T, D]` (one sequence, or several concatenated along T). */
  hidden: FeatureMatrix[];
  /** Token embedding table `[V, D]`. */
  embeddings: FeatureMatrix;
  /** Token whose embedding position i is compared with for STS (for LlamaGen: the input token tok_{i−1}). */
  inputTokens: ArrayLike<number>;
  /** Token predicted at position i, compared with for NTS (for LlamaGen: tok_i). */
  targetTokens: ArrayLike<number>;
}

/** Per-layer self-token (STS) and next-token (NTS) similarity. */
export interface TokenSimilarity {
  /** `STS_l = mean_i cos(h_l[i], e[inputTokens[i]])`, one per layer. */
  sts: number[];
  /** `NTS_l = mean_i cos(h_l[i], e[targetTokens[i]])`, one per layer. */
  nts: number[];
}

function cosine(x: Float64Array, xo: number, y: Float64Array, yo: number, d: number): number {
  let dot = 0, nx = 0, ny = 0;
  for (let c = 0; c < d; c++) {
    dot += x[xo + c] * y[yo + c];
    nx += x[xo + c] ** 2;
    ny += y[yo + c] ** 2;
  }
  return dot / Math.max(Math.sqrt(nx * ny), 1e-12);
}

/**
 * Layer-wise STS / NTS — OUR operational definitions (spec §9.8; the paper names these analyses but its exact
 * definitions were not available): the mean cosine similarity between each position's hidden state and the
 * embedding of the token it reads (STS) or the token it predicts (NTS).
 */
export function tokenSimilarityByLayer(input: TokenSimilarityInput): TokenSimilarity {
  const E = toRowMajor(input.embeddings, 'tokenSimilarityByLayer embeddings');
  const T = input.inputTokens.length;
  if (input.targetTokens.length !== T) {
    throw new Error(`tokenSimilarityByLayer: inputTokens has ${T} entries but targetTokens has ${input.targetTokens.length}`);
  }
  const sts: number[] = [];
  const nts: number[] = [];
  input.hidden.forEach((layer, l) => {
    const H = toRowMajor(layer, `tokenSimilarityByLayer hidden[${l}]`);
    if (H.rows !== T || H.cols !== E.cols) {
      throw new Error(`tokenSimilarityByLayer: hidden[${l}] must be [${T}, ${E.cols}], got [${H.rows}, ${H.cols}]`);
    }
    let s = 0, t = 0;
    for (let i = 0; i < T; i++) {
      const a = input.inputTokens[i], b = input.targetTokens[i];
      if (!(a >= 0 && a < E.rows) || !(b >= 0 && b < E.rows)) throw new Error(`tokenSimilarityByLayer: token id at position ${i} outside [0, ${E.rows})`);
      s += cosine(H.data, i * H.cols, E.data, a * E.cols, E.cols);
      t += cosine(H.data, i * H.cols, E.data, b * E.cols, E.cols);
    }
    sts.push(s / T);
    nts.push(t / T);
  });
  return { sts, nts };
}
