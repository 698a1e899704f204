/**
 * Code usage over a sliding window of the most recent assignments (LlamaGen reports utilization over the last
 * 65 536 tokens). Kept on the host: a ring buffer of indices plus a running count per code, so each update costs
 * O(batch) and reading the counts costs nothing.
 */
export class UsageWindow {
  readonly #ring: Int32Array;
  readonly #counts: Float64Array;
  #next = 0;
  #filled = 0;

  /**
   * @param codebookSize Number of codes K.
   * @param capacity Number of most recent assignments remembered.
   */
  constructor(
    readonly codebookSize: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(codebookSize) || codebookSize < 1) {
      throw new Error(`UsageWindow: codebookSize must be a positive integer, got ${codebookSize}`);
    }
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`UsageWindow: capacity must be a positive integer, got ${capacity}`);
    }
    this.#ring = new Int32Array(capacity);
    this.#counts = new Float64Array(codebookSize);
  }

  /** Number of assignments currently in the window (≤ capacity). */
  get size(): number {
    return this.#filled;
  }

  /** Per-code counts over the window (a live view; do not modify). */
  get counts(): Readonly<Float64Array> {
    return this.#counts;
  }

  /** Append assignments in order; the oldest fall out once the window is full. */
  push(indices: ArrayLike<number>): void {
    const k = this.codebookSize;
    // Only the last `capacity` of a long batch can survive; skip the rest.
    const from = Math.max(0, indices.length - this.capacity);
    for (let i = from; i < indices.length; i++) {
      const code = indices[i];
      if (!(code >= 0 && code < k)) throw new Error(`UsageWindow: index ${code} outside [0, ${k})`);
      if (this.#filled === this.capacity) this.#counts[this.#ring[this.#next]] -= 1;
      else this.#filled += 1;
      this.#ring[this.#next] = code;
      this.#counts[code] += 1;
      this.#next = (this.#next + 1) % this.capacity;
    }
  }

  /** Forget every assignment. */
  clear(): void {
    this.#counts.fill(0);
    this.#next = 0;
    this.#filled = 0;
  }
}
