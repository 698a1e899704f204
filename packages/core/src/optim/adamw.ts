import * as tf from '@tensorflow/tfjs';
import type { Disposable } from '../contracts/disposable.js';
import { fusedAdamWAvailable, fusedAdamWUpdate } from './adamw-kernel.js';
import { toTensorMap, type NamedTensors } from './named-tensors.js';

/** Options of {@link AdamW}; defaults are torch.optim.AdamW's. */
export interface AdamWOptions {
  /** Learning rate (a step may override it). @default 1e-3 */
  lr?: number;
  /** Decay rates of the first and second moment estimates. @default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** Added to the denominator. @default 1e-8 */
  eps?: number;
  /** Decoupled weight decay: each step multiplies parameters by `1 − lr·weightDecay`. @default 0.01 */
  weightDecay?: number;
  /**
   * Run each parameter's update as one fused kernel on backends that have it (`cpu`, `wasm`); `false` forces the
   * tfjs op graph everywhere. Both agree within float32 rounding. @default true
   */
  fused?: boolean;
}

/** Optimizer state for checkpoints: the step count and the moment tensors by name. */
export interface AdamWState {
  /** Number of steps taken. */
  step: number;
  /** `exp_avg.<param>` and `exp_avg_sq.<param>` for every parameter. */
  tensors: Map<string, tf.Tensor>;
}

/**
 * AdamW with decoupled weight decay and bias correction, step for step like `torch.optim.AdamW`
 * (`amsgrad=False`, `maximize=False`):
 *
 * ```text
 * t ← t + 1
 * p ← p·(1 − lr·wd)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * ```
 *
 * Moments are float32 variables created as zeros for every parameter up front and named after it, so they
 * can be saved and restored (see {@link AdamW.namedState}, {@link AdamW.getState}, {@link AdamW.setState}).
 *
 * On the `cpu` and `wasm` backends each parameter's update is ONE fused kernel (`IfsqAdamW`, see
 * `adamw-kernel.ts`) instead of ~10 tfjs ops; other
 * backends run the op graph. Both agree within float32 rounding.
 */
export class AdamW implements Disposable {
  /** Current learning rate, used when {@link AdamW.applyGradients} gets none. */
  lr: number;
  /** β1, β2. */
  readonly betas: readonly [number, number];
  /** Denominator epsilon. */
  readonly eps: number;
  /** Decoupled weight decay. */
  readonly weightDecay: number;
  readonly #fused: boolean;
  readonly #params: Map<string, tf.Variable>;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  #step = 0;

  /**
   * @param params trainable variables by name (for a module: `model.namedParameters()`); the optimizer keeps
   * references and never disposes them.
   */
  constructor(params: ReadonlyMap<string, tf.Variable>, options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.#fused = options.fused ?? true;
    checkHyper('lr', this.lr, 0, Infinity);
    checkHyper('betas[0]', this.betas[0], 0, 1);
    checkHyper('betas[1]', this.betas[1], 0, 1);
    checkHyper('eps', this.eps, 0, Infinity);
    checkHyper('weightDecay', this.weightDecay, 0, Infinity);
    if (params.size === 0) throw new Error('AdamW: no parameters to optimize');
    this.#params = new Map(params);
    for (const [name, p] of this.#params) {
      if (p.dtype !== 'float32') throw new Error(`AdamW: parameter "${name}" is ${p.dtype}, expected float32`);
      // tidy frees the zeros the variables were made from (tf.variable shares, not takes, its initial tensor).
      this.#m.set(name, tf.tidy(() => tf.variable(tf.zeros(p.shape), false)));
      this.#v.set(name, tf.tidy(() => tf.variable(tf.zeros(p.shape), false)));
    }
  }

  /** Number of steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /** The optimized variables by name (the same objects given to the constructor). */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.#params;
  }

  /**
   * Take one step. `grads` are keyed by parameter name; a parameter without a gradient is left untouched
   * (as PyTorch skips parameters whose `.grad` is None), but the step count still advances.
   * @param lr learning rate for this step. @default this.lr
   */
  applyGradients(grads: NamedTensors, lr: number = this.lr): void {
    checkHyper('lr', lr, 0, Infinity);
    const gradMap = toTensorMap(grads);
    for (const name of gradMap.keys()) {
      if (!this.#params.has(name)) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
    }
    this.#step += 1;
    const t = this.#step;
    const [beta1, beta2] = this.betas;
    const stepSize = lr / (1 - beta1 ** t);
    const bias2Sqrt = Math.sqrt(1 - beta2 ** t);
    const fused = this.#fused && fusedAdamWAvailable();
    const attrs = { decay: 1 - lr * this.weightDecay, beta1, beta2, stepSize, bias2Sqrt, eps: this.eps };
    tf.tidy(() => {
      for (const [name, p] of this.#params) {
        const g = gradMap.get(name);
        if (!g) continue;
        if (g.shape.join(',') !== p.shape.join(',')) {
          throw new Error(`AdamW: gradient of "${name}" has shape [${g.shape}], expected [${p.shape}]`);
        }
        const m = this.#m.get(name)!;
        const v = this.#v.get(name)!;
        if (fused && g.dtype === 'float32') {
          fusedAdamWUpdate(p, m, v, g, attrs);
          continue;
        }
        const decayed = this.weightDecay === 0 ? p : tf.mul(p, 1 - lr * this.weightDecay);
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(vNew), bias2Sqrt), this.eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), stepSize)));
        m.assign(mNew);
        v.assign(vNew);
      }
    });
  }

  /**
   * The live moment variables by name (`exp_avg.<param>`, `exp_avg_sq.<param>`), owned by the optimizer: save
   * them, do not dispose them. The step count is {@link AdamW.step}.
   */
  namedState(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, m] of this.#m) out.set(`exp_avg.${name}`, m);
    for (const [name, v] of this.#v) out.set(`exp_avg_sq.${name}`, v);
    return out;
  }

  /** Step count plus {@link AdamW.namedState} (live variables owned by the optimizer). */
  getState(): AdamWState {
    return { step: this.#step, tensors: this.namedState() };
  }

  /**
   * Restore a state from {@link AdamW.getState} (or a checkpoint of it): values are copied, the caller keeps
   * ownership of `state.tensors`. Every moment must be present with the right shape; the error lists every problem.
   */
  setState(state: { step: number; tensors: NamedTensors }): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`AdamW.setState: step must be a non-negative integer, got ${String(state.step)}`);
    }
    const given = toTensorMap(state.tensors);
    const target = this.namedState();
    const problems: string[] = [];
    for (const [name, variable] of target) {
      const t = given.get(name);
      if (!t) problems.push(`missing "${name}"`);
      else if (t.shape.join(',') !== variable.shape.join(',')) {
        problems.push(`"${name}" has shape [${t.shape}], expected [${variable.shape}]`);
      }
    }
    for (const name of given.keys()) if (!target.has(name)) problems.push(`unexpected "${name}"`);
    if (problems.length > 0) throw new Error(`AdamW.setState: cannot restore:\n  ${problems.join('\n  ')}`);
    tf.tidy(() => {
      for (const [name, variable] of target) {
        const t = given.get(name)!;
        variable.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
      }
    });
    this.#step = state.step;
  }

  /** Free the moment variables (not the parameters). */
  dispose(): void {
    for (const v of this.#m.values()) v.dispose();
    for (const v of this.#v.values()) v.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

function checkHyper(field: string, value: number, min: number, maxExclusive: number): void {
  if (!(Number.isFinite(value) && value >= min && value < maxExclusive)) {
    throw new Error(`AdamW: ${field} must be a finite number in [${min}, ${maxExclusive}), got ${String(value)}`);
  }
}
