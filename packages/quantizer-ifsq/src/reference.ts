/**
 * Scalar float32 emulation of the reference op path (bound → scale → round half to even), and the exact bin edges
 * it implies. Every step rounds to float32 exactly where a tfjs op would store a float32 result, so on the `cpu`
 * backend these functions agree bit for bit with the op graph in `ops.ts`.
 */
import { type FsqConfig, tanhBoundConstants } from './config.js';

const f32 = Math.fround;
const MAGIC = 6755399441055744; // 1.5·2^52: (x + MAGIC) − MAGIC rounds a double half to even when |x| < 2^51.

/** Round half to even, as `tf.round`, NumPy and PyTorch do (2.5 → 2, −4.5 → −4). Never `Math.round`. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 51) return x;
  return x + MAGIC - MAGIC;
}

/** Per-dimension scalar functions of one configuration. */
export interface ScalarReference {
  /** Bounded pre-rounding value in (−1, 1): `2σ(αz)−1` (ifsq) or `tanh(z + shift)` (tanh). */
  bounded(z: number, dim: number): number;
  /** Value that gets rounded: `y·h` (ifsq) or `tanh(z + shift)·halfL − offset` (tanh). */
  scaled(z: number, dim: number): number;
  /** Digit in `[0, L)`: `round(scaled) + floor(L/2)`. */
  digit(z: number, dim: number): number;
}

/** Build the scalar reference of a configuration (float32 constants, float32 rounding after every op). */
export function scalarReference(config: FsqConfig): ScalarReference {
  const d = config.levels.length;
  if (config.bound === 'ifsq') {
    const alpha = f32(config.alpha);
    const h = config.levels.map((l) => f32((l - 1) / 2));
    const bounded = (z: number): number => {
      const t = f32(alpha * z);
      const s = f32(1 / (1 + Math.exp(-t)));
      return f32(2 * s - 1);
    };
    const scaled = (z: number, i: number): number => f32(bounded(z) * h[i]);
    return { bounded, scaled, digit: (z, i) => roundHalfEven(scaled(z, i)) + config.halfWidth[i] };
  }
  const c = config.levels.map((l) => tanhBoundConstants(l));
  const shift = c.map((x) => f32(x.shift));
  const halfL = c.map((x) => f32(x.halfL));
  const offset = c.map((x) => x.offset);
  const bounded = (z: number, i: number): number => f32(Math.tanh(f32(z + shift[i])));
  const scaled = (z: number, i: number): number => {
    const b = f32(bounded(z, i) * halfL[i]);
    return offset[i] === 0 ? b : f32(b - offset[i]);
  };
  void d;
  return { bounded, scaled, digit: (z, i) => roundHalfEven(scaled(z, i)) + config.halfWidth[i] };
}

const bits = new Uint32Array(1);
const floats = new Float32Array(bits.buffer);

/** Map a float32 to an unsigned key that sorts like the float (−∞ lowest, +∞ highest). */
function orderedKey(x: number): number {
  floats[0] = x;
  const u = bits[0];
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

function fromOrderedKey(k: number): number {
  bits[0] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  return floats[0];
}

/**
 * Exact bin edges in z-space: for every dimension `i` and `k = 1..L_i−1`, the smallest float32 `z` whose reference
 * digit is at least `k`. Because the reference digit is a non-decreasing function of `z`, the digit of any float32
 * `z` equals the number of edges `≤ z`, with no transcendental evaluation and no tie ambiguity.
 *
 * @returns One Float64Array of `L_i − 1` float32-valued edges per dimension.
 */
export function exactBinEdges(config: FsqConfig): Float64Array[] {
  const ref = scalarReference(config);
  const lo0 = orderedKey(-Infinity);
  const hi0 = orderedKey(Infinity);
  return config.levels.map((levels, i) => {
    const edges = new Float64Array(levels - 1);
    for (let k = 1; k < levels; k++) {
      let lo = lo0;
      let hi = hi0;
      if (ref.digit(fromOrderedKey(hi), i) < k) {
        edges[k - 1] = Infinity; // never reached (cannot happen for validated configs)
        continue;
      }
      while (lo < hi) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (ref.digit(fromOrderedKey(mid), i) >= k) hi = mid;
        else lo = mid + 1;
      }
      edges[k - 1] = fromOrderedKey(lo);
    }
    return edges;
  });
}
