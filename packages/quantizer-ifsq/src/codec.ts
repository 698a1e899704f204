/**
 * Host-side index codec: digits ↔ indices ↔ codes on typed arrays, exact inverses of each other for every valid
 * codeword (mixed radix, little- or big-endian, optionally factorized into groups).
 */
import type { FsqConfig } from './config.js';
import { roundHalfEven } from './reference.js';

/** Indices `[N, G]` (row-major) from digits `[N, d]`. */
export function digitsToIndices(digits: ArrayLike<number>, config: FsqConfig): Int32Array {
  const d = config.levels.length;
  const G = config.groups.length;
  const n = digits.length / d;
  const out = new Int32Array(n * G);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) out[r * G + config.groupOf[i]] += digits[r * d + i] * config.basis[i];
  }
  return out;
}

/**
 * Digits `[N, d]` from indices `[N, G]`: `digit_i = floor(index_g / β_i) mod L_i`.
 * @throws RangeError naming the position of an index outside `[0, V_g)`.
 */
export function indicesToDigits(indices: ArrayLike<number>, config: FsqConfig): Int32Array {
  const d = config.levels.length;
  const G = config.groups.length;
  if (indices.length % G !== 0) throw new RangeError(`indices: ${indices.length} values do not split into ${G} groups`);
  const n = indices.length / G;
  const out = new Int32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let g = 0; g < G; g++) {
      const v = indices[r * G + g];
      if (!(v >= 0 && v < config.vocabSizes[g]) || !Number.isInteger(v)) {
        throw new RangeError(`indices: value ${v} at position ${r * G + g} is outside [0, ${config.vocabSizes[g]})`);
      }
    }
    for (let i = 0; i < d; i++) {
      out[r * d + i] = Math.floor(indices[r * G + config.groupOf[i]] / config.basis[i]) % config.levels[i];
    }
  }
  return out;
}

/** Codes `[N, d]` from digits: `code_i = (digit_i − floor(L_i/2)) / floor(L_i/2)` in float32. */
export function digitsToCodes(digits: ArrayLike<number>, config: FsqConfig): Float32Array {
  const d = config.levels.length;
  const out = new Float32Array(digits.length);
  for (let p = 0; p < digits.length; p++) {
    const hw = config.halfWidth[p % d];
    out[p] = (digits[p] - hw) / hw;
  }
  return out;
}

/**
 * Digits from codes: `round(code·hw + hw)` (half to even), clamped to `[0, L_i)` so off-grid codes (e.g. generated
 * latents) snap to the nearest level.
 */
export function codesToDigits(codes: ArrayLike<number>, config: FsqConfig): Int32Array {
  const d = config.levels.length;
  if (codes.length % d !== 0) throw new RangeError(`codes: ${codes.length} values do not split into rows of d = ${d}`);
  const out = new Int32Array(codes.length);
  const f32 = Math.fround;
  for (let p = 0; p < codes.length; p++) {
    const i = p % d;
    const hw = config.halfWidth[i];
    const c = codes[p];
    if (Number.isNaN(c)) throw new RangeError(`codes: NaN at position ${p}`);
    const q = roundHalfEven(f32(f32(c * hw) + hw));
    out[p] = Math.min(config.levels[i] - 1, Math.max(0, q));
  }
  return out;
}
