import * as tf from '@tensorflow/tfjs';
import type { Disposable } from '../contracts/disposable.js';
import { toTensorMap, type NamedTensors } from './named-tensors.js';

/** Options of {@link Ema}. */
export interface EmaOptions {
  /** Weight of the old shadow value in each update: `shadow ← decay·shadow + (1 − decay)·param`. @default 0.999 */
  decay?: number;
}

/**
 * Exponential moving average of weights. Shadows start as copies of the parameters; after `k` updates with
 * constant parameters `p` they equal `decay^k·p₀ + (1 − decay^k)·p`.
 */
export class Ema implements Disposable {
  /** Decay. */
  readonly decay: number;
  readonly #params: Map<string, tf.Variable>;
  readonly #shadow = new Map<string, tf.Variable>();
  #updates = 0;

  /** @param params variables to track by name (for a module: `model.namedParameters()`); references are kept. */
  constructor(params: ReadonlyMap<string, tf.Variable>, options: EmaOptions = {}) {
    this.decay = options.decay ?? 0.999;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new Error(`Ema: decay must be in [0, 1], got ${options.decay}`);
    this.#params = new Map(params);
    for (const [name, p] of this.#params) this.#shadow.set(name, tf.variable(tf.clone(p), false));
  }

  /** Number of updates so far. */
  get updates(): number {
    return this.#updates;
  }

  /** Move every shadow towards its parameter. */
  update(): void {
    const d = this.decay;
    tf.tidy(() => {
      for (const [name, p] of this.#params) {
        const s = this.#shadow.get(name)!;
        s.assign(tf.add(tf.mul(s, d), tf.mul(p, 1 - d)));
      }
    });
    this.#updates += 1;
  }

  /**
   * Copy the shadows into variables by the same names: the tracked parameters by default (e.g. for evaluation
   * before saving), or another model's `namedParameters()`.
   */
  copyTo(target: ReadonlyMap<string, tf.Variable> = this.#params): void {
    for (const name of this.#shadow.keys()) {
      if (!target.has(name)) throw new Error(`Ema.copyTo: target has no variable "${name}"`);
    }
    for (const [name, s] of this.#shadow) target.get(name)!.assign(s);
  }

  /** Exchange parameter and shadow values (call again to swap back), e.g. to evaluate with EMA weights. */
  swap(): void {
    tf.tidy(() => {
      for (const [name, p] of this.#params) {
        const s = this.#shadow.get(name)!;
        const old = tf.clone(p);
        p.assign(s);
        s.assign(old);
      }
    });
  }

  /** The live shadow variables by parameter name, owned by this object (save them, do not dispose them). */
  namedState(): Map<string, tf.Variable> {
    return new Map(this.#shadow);
  }

  /** Restore shadows (values are copied; the caller keeps ownership) and the update count. */
  setState(state: { updates: number; tensors: NamedTensors }): void {
    const given = toTensorMap(state.tensors);
    const problems: string[] = [];
    for (const [name, s] of this.#shadow) {
      const t = given.get(name);
      if (!t) problems.push(`missing "${name}"`);
      else if (t.shape.join(',') !== s.shape.join(',')) problems.push(`"${name}" has shape [${t.shape}], expected [${s.shape}]`);
    }
    for (const name of given.keys()) if (!this.#shadow.has(name)) problems.push(`unexpected "${name}"`);
    if (problems.length > 0) throw new Error(`Ema.setState: cannot restore:\n  ${problems.join('\n  ')}`);
    for (const [name, s] of this.#shadow) s.assign(given.get(name)!);
    this.#updates = state.updates;
  }

  /** Free the shadow variables. */
  dispose(): void {
    for (const s of this.#shadow.values()) s.dispose();
    this.#shadow.clear();
  }
}
