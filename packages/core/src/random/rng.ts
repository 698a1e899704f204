import type { Rng } from '../contracts/services.js';

/**
 * Seeded random stream (sfc32 with a splitmix32 seeder). Deterministic across platforms, with a four-word state
 * that checkpoints store so a resumed run draws exactly the numbers the uninterrupted run would have drawn.
 */
export class SeededRng implements Rng {
  #s: Uint32Array;
  #spare: number | undefined;
  readonly #seed: string;

  /** Create a stream from a numeric or string seed. */
  constructor(seed: number | string) {
    this.#seed = String(seed);
    this.#s = seedState(this.#seed);
    for (let i = 0; i < 12; i++) this.#nextUint32();
  }

  #nextUint32(): number {
    const s = this.#s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  next(): number {
    return this.#nextUint32() / 4294967296;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int expects a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (this.#spare !== undefined) {
      const v = this.#spare;
      this.#spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  seed(): number {
    return this.#nextUint32() >>> 1;
  }

  fork(name: string): Rng {
    return new SeededRng(`${this.#seed}/${name}`);
  }

  getState(): number[] {
    return [...this.#s, this.#spare === undefined ? Number.NaN : this.#spare];
  }

  setState(state: number[]): void {
    if (state.length !== 5) throw new Error(`Rng state must have 5 numbers, got ${state.length}`);
    this.#s = Uint32Array.from(state.slice(0, 4));
    this.#spare = Number.isNaN(state[4]) ? undefined : state[4];
  }

  /** Fisher–Yates shuffle of `0..n-1` drawn from this stream. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function seedState(seed: string): Uint32Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  const out = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) >>> 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    out[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return out;
}
