import { Type, type Static } from '@sinclair/typebox';

/**
 * Options of the `vq` quantizer. Shared by the plugin (validated from a pipeline file) and by
 * {@link VectorQuantizer} (used from code). This module does not import TensorFlow.js.
 */
export interface VqOptions {
  /** Number of codebook entries K. LlamaGen VQ-16 and the iFSQ repo's VQ use 16384. @default 1024 */
  codebookSize: number;
  /** Dimension e of each code = channels of the latent the backbone delivers. @default 4 */
  codebookDim: number;
  /** Weight β of the loss term named by {@link VqOptions.lossForm}. @default 0.25 */
  beta: number;
  /**
   * Which term β multiplies. `standard`: `codebook + β·commitment` (VQ-VAE paper, LlamaGen);
   * `legacy`: `commitment + β·codebook` (taming-transformers and the iFSQ repo's VQ, a historical swap kept for
   * compatibility). Commitment = `mean((sg[z_q] − z)²)`, codebook = `mean((z_q − sg[z])²)`.
   * @default "standard"
   */
  lossForm: 'standard' | 'legacy';
  /** L2-normalise inputs and codes before the search (cosine similarity, LlamaGen VQ-16). @default false */
  l2Normalize: boolean;
  /**
   * Update the codebook by exponential moving averages of assigned vectors instead of by gradient. The codebook
   * then becomes a buffer, receives no gradient, and the loss keeps only the commitment term.
   * @default false
   */
  ema: boolean;
  /** Decay of the EMA counts and sums (also of the usage counts that dead-code restart reads). @default 0.99 */
  emaDecay: number;
  /** Laplace smoothing ε of the EMA counts. @default 1e-5 */
  emaEpsilon: number;
  /** Initialise the codebook by k-means on the first training batch. @default false */
  kmeansInit: boolean;
  /** Lloyd iterations of the k-means initialisation. @default 10 */
  kmeansIterations: number;
  /**
   * Replace codes whose EMA usage count falls below this value by random vectors of the current batch;
   * 0 turns restarts off. Counts are per-batch assignment counts averaged with {@link VqOptions.emaDecay}.
   * @default 0
   */
  deadCodeThreshold: number;
  /** Number of most recent assignments over which usage, entropy and perplexity are reported. @default 65536 */
  usageWindow: number;
  /**
   * Largest number of distance entries (rows × codes) computed at once by the nearest-code search.
   * @default 4194304
   */
  searchChunkElements: number;
  /**
   * How the nearest-code search runs: `tensor` (chunked tfjs ops, any backend), `host` (a JavaScript loop in
   * float64, several times faster than tfjs-cpu's matmul), or `auto` (`host` on the cpu backend, else `tensor`).
   * @default "auto"
   */
  searchMethod: 'auto' | 'tensor' | 'host';
}

/** Default options of the `vq` quantizer. */
export const VQ_DEFAULTS: Readonly<VqOptions> = Object.freeze({
  codebookSize: 1024,
  codebookDim: 4,
  beta: 0.25,
  lossForm: 'standard',
  l2Normalize: false,
  ema: false,
  emaDecay: 0.99,
  emaEpsilon: 1e-5,
  kmeansInit: false,
  kmeansIterations: 10,
  deadCodeThreshold: 0,
  usageWindow: 65536,
  searchChunkElements: 1 << 22,
  searchMethod: 'auto',
});

/** JSON Schema (TypeBox) of the `vq` options. */
export const VqOptionsSchema = Type.Object(
  {
    codebookSize: Type.Integer({ minimum: 2, default: VQ_DEFAULTS.codebookSize, description: 'Number of codes K.' }),
    codebookDim: Type.Integer({ minimum: 1, default: VQ_DEFAULTS.codebookDim, description: 'Dimension of each code.' }),
    beta: Type.Number({ minimum: 0, default: VQ_DEFAULTS.beta, description: 'Weight of the term named by lossForm.' }),
    lossForm: Type.Union([Type.Literal('standard'), Type.Literal('legacy')], {
      default: VQ_DEFAULTS.lossForm,
      description: 'standard: codebook + beta*commitment; legacy (taming): commitment + beta*codebook.',
    }),
    l2Normalize: Type.Boolean({
      default: VQ_DEFAULTS.l2Normalize,
      description: 'Cosine search on L2-normalised inputs and codes (LlamaGen VQ-16).',
    }),
    ema: Type.Boolean({ default: VQ_DEFAULTS.ema, description: 'EMA codebook updates instead of gradients.' }),
    emaDecay: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: VQ_DEFAULTS.emaDecay,
      description: 'Decay of EMA counts and sums.',
    }),
    emaEpsilon: Type.Number({
      exclusiveMinimum: 0,
      default: VQ_DEFAULTS.emaEpsilon,
      description: 'Laplace smoothing of EMA counts.',
    }),
    kmeansInit: Type.Boolean({
      default: VQ_DEFAULTS.kmeansInit,
      description: 'Initialise the codebook by k-means on the first training batch.',
    }),
    kmeansIterations: Type.Integer({
      minimum: 1,
      default: VQ_DEFAULTS.kmeansIterations,
      description: 'Lloyd iterations of the k-means initialisation.',
    }),
    deadCodeThreshold: Type.Number({
      minimum: 0,
      default: VQ_DEFAULTS.deadCodeThreshold,
      description: 'Restart codes whose EMA usage count is below this (0 = off).',
    }),
    usageWindow: Type.Integer({
      minimum: 1,
      default: VQ_DEFAULTS.usageWindow,
      description: 'Assignments over which usage, entropy and perplexity are reported.',
    }),
    searchChunkElements: Type.Integer({
      minimum: 1,
      default: VQ_DEFAULTS.searchChunkElements,
      description: 'Max distance entries computed at once by the nearest-code search.',
    }),
    searchMethod: Type.Union([Type.Literal('auto'), Type.Literal('tensor'), Type.Literal('host')], {
      default: VQ_DEFAULTS.searchMethod,
      description: 'Nearest-code search: tensor (chunked tfjs ops), host (JavaScript loop), auto (host on cpu).',
    }),
  },
  { additionalProperties: false },
);

/** Options as validated from a pipeline file. */
export type VqPluginOptions = Static<typeof VqOptionsSchema>;

// Compile-time check that the schema and the documented interface describe the same options.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const schemaMatchesInterface: SameKeys<VqPluginOptions, VqOptions> = true;
void schemaMatchesInterface;

/** Fill defaults and check every option, with an error naming the field and what was expected. */
export function resolveVqOptions(options: Partial<VqOptions> = {}): VqOptions {
  const o: VqOptions = { ...VQ_DEFAULTS, ...options };
  const fail = (field: keyof VqOptions, expected: string): never => {
    throw new Error(`vq quantizer: option "${field}" must be ${expected}, got ${JSON.stringify(o[field])}`);
  };
  const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!isInt(o.codebookSize, 2)) fail('codebookSize', 'an integer ≥ 2');
  if (!isInt(o.codebookDim, 1)) fail('codebookDim', 'an integer ≥ 1');
  if (!(o.beta >= 0)) fail('beta', 'a number ≥ 0');
  if (o.lossForm !== 'standard' && o.lossForm !== 'legacy') fail('lossForm', '"standard" or "legacy"');
  if (!(o.emaDecay > 0 && o.emaDecay < 1)) fail('emaDecay', 'a number in (0, 1)');
  if (!(o.emaEpsilon > 0)) fail('emaEpsilon', 'a number > 0');
  if (!isInt(o.kmeansIterations, 1)) fail('kmeansIterations', 'an integer ≥ 1');
  if (!(o.deadCodeThreshold >= 0)) fail('deadCodeThreshold', 'a number ≥ 0');
  if (!isInt(o.usageWindow, 1)) fail('usageWindow', 'an integer ≥ 1');
  if (!isInt(o.searchChunkElements, 1)) fail('searchChunkElements', 'an integer ≥ 1');
  if (!['auto', 'tensor', 'host'].includes(o.searchMethod)) fail('searchMethod', '"auto", "tensor" or "host"');
  return o;
}
