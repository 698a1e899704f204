/**
 * Fast encoder: digits, codes and indices of a float32 latent by comparing against exact z-space bin edges
 * ({@link exactBinEdges}). Code-generated per configuration so the compares are unrolled and branchless; no
 * sigmoid/tanh is evaluated. Results are identical to the reference op path on the cpu backend.
 */
import type { FsqConfig } from './config.js';
import { exactBinEdges } from './reference.js';

/** Outputs of {@link encodeIndices}. */
export interface EncodedLatent {
  /** Indices `[N]` (single group) or `[N, G]` row-major, int32. */
  indices: Int32Array;
  /** Codes `[N, d]` on the normalized grid, float32 (only when requested). */
  codes?: Float32Array;
  /** Digits `[N, d]` in `[0, L_i)` (only when requested). */
  digits?: Int32Array;
}

/** Which outputs {@link encodeIndices} fills. */
export interface EncodeOutputs {
  /** Also return codes. @default false */
  codes?: boolean;
  /** Also return per-dimension digits. @default false */
  digits?: boolean;
  /** Edge search strategy (all exact; for tests and benchmarks). @default 'auto' */
  search?: EdgeSearch;
}

type Kernel = (z: Float32Array, r0: number, r1: number, indices: Int32Array, codes: Float32Array | null, digits: Int32Array | null) => void;

/** How a digit is found from the edges of one dimension. */
export type EdgeSearch = 'auto' | 'unrolled' | 'bucket' | 'bisect';

/** Edge counts up to this are compared one by one (unrolled, branchless) under `auto`. */
const UNROLL_LIMIT = 8;
/** Largest bucket table per dimension for the `bucket` search. */
const MAX_BUCKETS = 1 << 16;

type Arrays = Record<string, Float32Array | Float64Array | Int32Array>;

const cache = new Map<string, Kernel>();

/** Stable cache key of the parts of a configuration that determine indices. */
export function encoderKey(config: FsqConfig): string {
  return JSON.stringify([config.levels, config.bound, config.alpha, config.indexOrder, config.groups]);
}

/** Unrolled compares: `digit = Σ_k [v ≥ edge_k]`. */
function unrolled(edges: Float64Array, name: string): { decl: string; stmt: string } {
  const decl = Array.from(edges, (t, k) => `const ${name}_${k} = ${t};`).join('\n');
  const sum = edges.length === 0 ? '0' : Array.from(edges, (_, k) => `(v >= ${name}_${k})`).join(' + ');
  return { decl, stmt: `const lv = ${sum};` };
}

/** Branchless binary search over edges padded with NaN (`v >= NaN` is false, even for v = +Infinity). */
function bisect(edges: Float64Array, name: string, arrays: Arrays): { decl: string; stmt: string } {
  let p = 1;
  while (p < edges.length + 1) p *= 2;
  const padded = new Float64Array(p).fill(Number.NaN);
  padded.set(edges);
  arrays[name] = padded;
  const steps: string[] = [];
  for (let s = p / 2; s >= 1; s /= 2) steps.push(`lv += (v >= ${name}[lv + ${s - 1}]) ? ${s} : 0;`);
  return { decl: `const ${name} = A.${name};`, stmt: `let lv = 0; ${steps.join(' ')}` };
}

/**
 * Bucket table: z-space buckets narrower than half the smallest gap between edges give a first guess that is off
 * by at most one; two compares against the neighbouring edges make it exact. Returns undefined when the table
 * would be too large.
 */
function bucket(edges: Float64Array, name: string, arrays: Arrays): { decl: string; stmt: string } | undefined {
  const m = edges.length;
  if (m < 2 || !edges.every(Number.isFinite)) return undefined;
  let gap = Infinity;
  for (let k = 1; k < m; k++) gap = Math.min(gap, edges[k] - edges[k - 1]);
  const width = gap / 4;
  const lo = edges[0] - width;
  const count = Math.ceil((edges[m - 1] + width - lo) / width) + 1;
  if (!(width > 0) || count > MAX_BUCKETS) return undefined;
  const inv = 1 / width;
  // guess[b] = number of edges <= the bucket's start.
  const guess = new Int32Array(count);
  let k = 0;
  for (let b = 0; b < count; b++) {
    const start = lo + b * width;
    while (k < m && edges[k] <= start) k++;
    guess[b] = k;
  }
  // E[0] = −∞, E[k] = edge k (k = 1..m), E[m+1] = NaN.
  const E = new Float64Array(m + 2);
  E[0] = -Infinity;
  E.set(edges, 1);
  E[m + 1] = Number.NaN;
  arrays[`${name}_g`] = guess;
  arrays[`${name}_e`] = E;
  const decl = `const ${name}_g = A.${name}_g; const ${name}_e = A.${name}_e;`;
  const stmt =
    `const t = (v - ${lo}) * ${inv}; const g = ${name}_g[t > 0 ? (t < ${count - 1} ? t | 0 : ${count - 1}) : 0]; ` +
    `const lv = g + (v >= ${name}_e[g + 1]) - (v < ${name}_e[g]);`;
  return { decl, stmt };
}

function digitStatement(edges: Float64Array, name: string, arrays: Arrays, search: EdgeSearch): { decl: string; stmt: string } {
  if (search === 'unrolled' || (search === 'auto' && edges.length <= UNROLL_LIMIT)) return unrolled(edges, name);
  if (search !== 'bisect') {
    const b = bucket(edges, name, arrays);
    if (b) return b;
  }
  return bisect(edges, name, arrays);
}

/**
 * Compile (or fetch from cache) the encoder kernel of a configuration; one specialization per set of outputs so the
 * inner loop has no output checks.
 */
export function compileEncoder(config: FsqConfig, search: EdgeSearch = 'auto', withCodes = true, withDigits = false): Kernel {
  const key = `${encoderKey(config)}/${search}/${withCodes}/${withDigits}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const edges = exactBinEdges(config);
  const d = config.levels.length;
  const G = config.groups.length;
  const decls: string[] = [];
  const arrays: Arrays = {};
  let body = '';
  for (let i = 0; i < d; i++) {
    const { decl, stmt } = digitStatement(edges[i], `t${i}`, arrays, search);
    decls.push(decl);
    const hw = config.halfWidth[i];
    arrays[`c${i}`] = Float32Array.from({ length: config.levels[i] }, (_, k) => (k - hw) / hw);
    decls.push(`const c${i} = A.c${i};`);
    body += `{ const v = z[b + ${i}]; ${stmt} a${config.groupOf[i]} += lv * ${config.basis[i]};\n`;
    if (withCodes) body += `  codes[b + ${i}] = c${i}[lv];\n`;
    if (withDigits) body += `  digits[b + ${i}] = lv;\n`;
    body += '}\n';
  }
  const accs = Array.from({ length: G }, (_, g) => `let a${g} = 0;`).join(' ');
  const stores = Array.from({ length: G }, (_, g) => `indices[r * ${G} + ${g}] = a${g};`).join(' ');
  const src =
    `${decls.join('\n')}\n` +
    `return function fsqEncode(z, r0, r1, indices, codes, digits) {\n` +
    `  for (let r = r0; r < r1; r++) { const b = r * ${d}; ${accs}\n${body}  ${stores} }\n};`;
  const kernel = new Function('A', src)(arrays) as Kernel;
  cache.set(key, kernel);
  return kernel;
}

/**
 * Encode a channels-last float32 latent `[N, d]` (flattened) into indices (and optionally codes and digits) with
 * the threshold formulation. Needs no gradient and no TensorFlow.js.
 *
 * @param z - Latent values, row-major `[N, d]`.
 * @param config - Resolved quantizer configuration.
 * @param outputs - Extra outputs to fill.
 * @throws Error when `z.length` is not a multiple of `d`.
 */
export function encodeIndices(z: Float32Array, config: FsqConfig, outputs: EncodeOutputs = {}): EncodedLatent {
  const d = config.levels.length;
  if (z.length % d !== 0) throw new Error(`encodeIndices: ${z.length} values do not split into rows of d = ${d}`);
  const n = z.length / d;
  const indices = new Int32Array(n * config.groups.length);
  const codes = outputs.codes ? new Float32Array(z.length) : null;
  const digits = outputs.digits ? new Int32Array(z.length) : null;
  compileEncoder(config, outputs.search, codes !== null, digits !== null)(z, 0, n, indices, codes, digits);
  const out: EncodedLatent = { indices };
  if (codes) out.codes = codes;
  if (digits) out.digits = digits;
  return out;
}

/** Fill caller-provided outputs (e.g. views of a tfjs backend's memory) for rows `[0, n)`. */
export function encodeInto(
  z: Float32Array,
  config: FsqConfig,
  indices: Int32Array,
  codes: Float32Array | null,
  digits: Int32Array | null = null,
  search: EdgeSearch = 'auto',
): void {
  const d = config.levels.length;
  compileEncoder(config, search, codes !== null, digits !== null)(z, 0, z.length / d, indices, codes, digits);
}
