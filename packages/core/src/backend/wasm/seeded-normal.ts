import { SeededRng } from '../../random/rng.js';

/** Deterministic N(0, std²) values for reference models and tests (identical on every backend). */
export function seededNormal(shape: number[], seed: string, std = 1): Float32Array {
  const rng = new SeededRng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}
