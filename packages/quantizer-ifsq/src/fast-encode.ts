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
}

type Kernel = (z: Float32Array, r0: number, r1: number, indices: Int32Array, codes: Float32Array | null, digits: Int32Array | null) => void;

/** Threshold counts above this use a branchless binary search instead of unrolled compares. */
const UNROLL_LIMIT = 32;

const cache = new Map<string, Kernel>();

/** Stable cache key of the parts of a configuration that determine indices. */
export function encoderKey(config: FsqConfig): string {
  return JSON.stringify([config.levels, config.bound, config.alpha, config.indexOrder, config.groups]);
}

function digitExpression(edges: Float64Array, name: string): { decl: string; expr: string } {
  if (edges.length <= UNROLL_LIMIT) {
    const decl = Array.from(edges, (t, k) => `const ${name}_${k} = ${t};`).join('\n');
    const expr = edges.length === 0 ? '0' : Array.from(edges, (_, k) => `(v >= ${name}_${k})`).join(' + ');
    return { decl, expr };
  }
  let p = 1;
  while (p < edges.length + 1) p *= 2;
  const padded = new Float64Array(p).fill(Number.NaN); // `v >= NaN` is false, even for v = +Infinity
  padded.set(edges);
  const decl = `const ${name} = new Float64Array([${Array.from(padded).join(', ')}]);`;
  const steps: string[] = [];
  for (let s = p / 2; s >= 1; s /= 2) steps.push(`l += (v >= ${name}[l + ${s - 1}]) ? ${s} : 0;`);
  return { decl, expr: `((l) => { ${steps.join(' ')} return l; })(0)` };
}

/** Compile (or fetch from cache) the encoder kernel of a configuration. */
export function compileEncoder(config: FsqConfig): Kernel {
  const key = encoderKey(config);
  const hit = cache.get(key);
  if (hit) return hit;
  const edges = exactBinEdges(config);
  const d = config.levels.length;
  const G = config.groups.length;
  const decls: string[] = [];
  const tables: Float32Array[] = [];
  let body = '';
  for (let i = 0; i < d; i++) {
    const { decl, expr } = digitExpression(edges[i], `t${i}`);
    decls.push(decl);
    const hw = config.halfWidth[i];
    tables.push(Float32Array.from({ length: config.levels[i] }, (_, k) => (k - hw) / hw));
    body += `{ const v = z[b + ${i}]; const lv = ${expr}; a${config.groupOf[i]} += lv * ${config.basis[i]};\n`;
    body += `  if (codes !== null) codes[b + ${i}] = tab[${i}][lv]; if (digits !== null) digits[b + ${i}] = lv; }\n`;
  }
  const accs = Array.from({ length: G }, (_, g) => `let a${g} = 0;`).join(' ');
  const stores = Array.from({ length: G }, (_, g) => `indices[r * ${G} + ${g}] = a${g};`).join(' ');
  const src =
    `${decls.join('\n')}\n` +
    `return function fsqEncode(z, r0, r1, indices, codes, digits) {\n` +
    `  for (let r = r0; r < r1; r++) { const b = r * ${d}; ${accs}\n${body}  ${stores} }\n};`;
  const kernel = new Function('tab', src)(tables) as Kernel;
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
  compileEncoder(config)(z, 0, n, indices, codes, digits);
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
): void {
  const d = config.levels.length;
  compileEncoder(config)(z, 0, z.length / d, indices, codes, digits);
}
