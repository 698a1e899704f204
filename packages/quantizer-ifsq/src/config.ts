/**
 * Options of the iFSQ/FSQ quantizer and their resolution into per-dimension constants. No TensorFlow.js here, so
 * the plugin definition and the CLI validator can use it without loading tfjs.
 */

/** Bounding function applied before rounding. */
export type FsqBound = 'ifsq' | 'tanh';

/** Mixed-radix digit order of indices. */
export type IndexOrder = 'little' | 'big';

/** User-facing options of the quantizer (exactly one of `levels` or `bits`). */
export interface FsqOptions {
  /** Number of levels per latent dimension, e.g. `[9, 9, 9, 9]`. iFSQ needs odd levels. */
  levels?: number[];
  /** Bits per dimension: `L = 2^bits + 1` for every one of `channels` dimensions (4 bits → 17). */
  bits?: number;
  /** Latent dimensions `d` when `bits` is used. @default 4 */
  channels?: number;
  /** `ifsq`: `2σ(αz)−1`; `tanh`: the FSQ reference bound with eps, shift and offset. @default 'ifsq' */
  bound?: FsqBound;
  /** Slope α of the iFSQ bound `2σ(αz)−1` (ignored by `tanh`). @default 1.6 */
  alpha?: number;
  /** Digit order of indices: `little` (official code) or `big` (paper Algorithm 1). @default 'little' */
  indexOrder?: IndexOrder;
  /** Sizes of consecutive dimension groups with their own index (e.g. `[2, 2]` → indices `[B,h,w,2]`). */
  groups?: number[];
  /** Constant multiplier diffusion generators apply to the codes (the official DiT uses 1.092421). @default 1 */
  latentMultiplier?: number;
}

/** Resolved, validated configuration with per-dimension constants. */
export interface FsqConfig {
  /** Levels `L_i` per dimension. */
  levels: number[];
  /** Bound. */
  bound: FsqBound;
  /** α of the iFSQ bound. */
  alpha: number;
  /** Index digit order. */
  indexOrder: IndexOrder;
  /** Group sizes (one group of all dimensions when not factorized). */
  groups: number[];
  /** Whether indices carry a trailing group axis (`groups` option given). */
  factorized: boolean;
  /** Latent multiplier for diffusion. */
  latentMultiplier: number;
  /** `floor(L_i/2)`: the divisor mapping rounded values to codes, and the digit offset. */
  halfWidth: number[];
  /** Vocabulary size of each group. */
  vocabSizes: number[];
  /** Mixed-radix weight of each dimension within its group, per `indexOrder`. */
  basis: number[];
  /** Group of each dimension. */
  groupOf: number[];
}

/** FSQ reference eps: widens the tanh bound so the atanh shift stays finite. */
export const TANH_EPS = 1e-3;

const MAX_VOCAB = 2 ** 31 - 1;

function fail(field: string, message: string): never {
  throw new Error(`ifsq quantizer option "${field}": ${message}`);
}

/** Validate options and compute per-dimension constants. Throws an error naming the field on bad input. */
export function resolveFsqConfig(options: FsqOptions): FsqConfig {
  const bound = options.bound ?? 'ifsq';
  if (bound !== 'ifsq' && bound !== 'tanh') fail('bound', `expected "ifsq" or "tanh", got ${JSON.stringify(bound)}`);
  let levels: number[];
  if (options.levels !== undefined && options.bits !== undefined) {
    fail('levels', 'give either "levels" or "bits", not both');
  }
  if (options.bits !== undefined) {
    const b = options.bits;
    if (!Number.isInteger(b) || b < 1 || b > 16) fail('bits', `expected an integer in [1, 16], got ${b}`);
    const channels = options.channels ?? 4;
    if (!Number.isInteger(channels) || channels < 1) fail('channels', `expected a positive integer, got ${channels}`);
    levels = new Array<number>(channels).fill(2 ** b + 1);
  } else if (options.levels !== undefined) {
    levels = [...options.levels];
    if (options.channels !== undefined && options.channels !== levels.length) {
      fail('channels', `is ${options.channels} but "levels" has ${levels.length} entries`);
    }
  } else {
    fail('levels', 'give "levels" (e.g. [9, 9, 9, 9]) or "bits" (e.g. 4 → 17 levels per dimension)');
  }
  if (levels.length === 0) fail('levels', 'must have at least one entry');
  levels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 2) fail('levels', `entry ${i} must be an integer >= 2, got ${l}`);
    if (bound === 'ifsq' && l % 2 === 0) {
      const b = Math.max(1, Math.round(Math.log2(l - 1)));
      fail(
        'levels',
        `entry ${i} is ${l}, but the iFSQ bound needs odd levels: 2σ(αz)−1 is symmetric around 0 with no offset, ` +
          `so an even L would round to L+1 distinct values. Use an odd level such as 2^b+1 (e.g. ${2 ** b + 1}), ` +
          `or bound: "tanh", which supports even levels.`,
      );
    }
    if (bound === 'tanh' && l > 1000) {
      fail('levels', `entry ${i} is ${l}; the tanh bound's eps = 1e-3 would round past the outermost level for L > 1000`);
    }
  });
  const alpha = options.alpha ?? 1.6;
  if (!(Number.isFinite(alpha) && alpha > 0)) fail('alpha', `expected a positive number, got ${alpha}`);
  const indexOrder = options.indexOrder ?? 'little';
  if (indexOrder !== 'little' && indexOrder !== 'big') fail('indexOrder', `expected "little" or "big", got ${indexOrder}`);
  const factorized = options.groups !== undefined;
  const groups = factorized ? [...(options.groups as number[])] : [levels.length];
  if (groups.length === 0 || groups.some((g) => !Number.isInteger(g) || g < 1)) {
    fail('groups', `expected positive integers, got ${JSON.stringify(options.groups)}`);
  }
  const sum = groups.reduce((a, b) => a + b, 0);
  if (sum !== levels.length) fail('groups', `sizes sum to ${sum} but there are ${levels.length} dimensions`);
  const latentMultiplier = options.latentMultiplier ?? 1;
  if (!(Number.isFinite(latentMultiplier) && latentMultiplier > 0)) {
    fail('latentMultiplier', `expected a positive number, got ${latentMultiplier}`);
  }

  const basis = new Array<number>(levels.length).fill(0);
  const groupOf = new Array<number>(levels.length).fill(0);
  const vocabSizes: number[] = [];
  let start = 0;
  groups.forEach((size, g) => {
    const dims = Array.from({ length: size }, (_, k) => start + k);
    const order = indexOrder === 'little' ? dims : [...dims].reverse();
    let w = 1;
    for (const i of order) {
      basis[i] = w;
      groupOf[i] = g;
      w *= levels[i];
    }
    if (w > MAX_VOCAB) fail('groups', `group ${g} has ${w} codes, more than int32 indices can hold; split it with "groups"`);
    vocabSizes.push(w);
    start += size;
  });
  return {
    levels,
    bound,
    alpha,
    indexOrder,
    groups,
    factorized,
    latentMultiplier,
    halfWidth: levels.map((l) => Math.floor(l / 2)),
    vocabSizes,
    basis,
    groupOf,
  };
}

/** Scalar constants of the tanh bound for one level count: `b = tanh(z + shift)·halfL − offset`. */
export function tanhBoundConstants(level: number): { halfL: number; offset: number; shift: number } {
  const halfL = ((level - 1) * (1 + TANH_EPS)) / 2;
  const offset = level % 2 === 0 ? 0.5 : 0;
  return { halfL, offset, shift: Math.atanh(offset / halfL) };
}
