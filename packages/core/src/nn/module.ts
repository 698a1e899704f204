import * as tf from '@tensorflow/tfjs';
import type { Disposable } from '../contracts/disposable.js';
import type { Parametrized } from '../contracts/parametrized.js';

/**
 * Base class of every network part. Parameters and buffers are registered under names, children under names,
 * so the full state has stable dotted names (`down.0.block.1.conv1.weight`), like a PyTorch state dict.
 *
 * Subclasses register in their constructor and implement their own `forward`-style methods.
 */
export abstract class Module implements Parametrized, Disposable {
  readonly #parameters = new Map<string, tf.Variable>();
  readonly #buffers = new Map<string, tf.Variable>();
  readonly #children = new Map<string, Module>();
  #training = true;

  /** Register a trainable parameter; the module takes ownership of `initial` (it is disposed). */
  protected addParameter(name: string, initial: tf.Tensor): tf.Variable {
    return this.#add(this.#parameters, name, initial, true);
  }

  /** Register a non-trainable buffer (running statistics, counters); saved in checkpoints. */
  protected addBuffer(name: string, initial: tf.Tensor): tf.Variable {
    return this.#add(this.#buffers, name, initial, false);
  }

  /** Register a child module under `name`; returns it for chaining. */
  protected addModule<M extends Module>(name: string, child: M): M {
    assertName(name);
    if (this.#children.has(name)) throw new Error(`Module already has a child named "${name}"`);
    this.#children.set(name, child);
    return child;
  }

  #add(into: Map<string, tf.Variable>, name: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    assertName(name);
    if (this.#parameters.has(name) || this.#buffers.has(name)) {
      throw new Error(`Module already has a tensor named "${name}"`);
    }
    const v = tf.variable(initial, trainable);
    initial.dispose();
    into.set(name, v);
    return v;
  }

  /** Direct children by name. */
  children(): ReadonlyMap<string, Module> {
    return this.#children;
  }

  /** Every trainable parameter of this module and its descendants, by dotted name, in registration order. */
  namedParameters(): Map<string, tf.Variable> {
    return this.#collect((m) => m.#parameters);
  }

  /** Every buffer of this module and its descendants, by dotted name. */
  namedBuffers(): Map<string, tf.Variable> {
    return this.#collect((m) => m.#buffers);
  }

  #collect(pick: (m: Module) => Map<string, tf.Variable>, prefix = '', out = new Map<string, tf.Variable>()) {
    for (const [n, v] of pick(this)) out.set(prefix + n, v);
    for (const [n, c] of this.#children) c.#collect(pick, `${prefix}${n}.`, out);
    return out;
  }

  /** Trainable variables as a list (for optimizers). */
  trainableVariables(): tf.Variable[] {
    return [...this.namedParameters().values()];
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.namedParameters().values()) n += v.size;
    return n;
  }

  /** Whether the module is in training mode (dropout active, statistics updating). */
  get training(): boolean {
    return this.#training;
  }

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    this.#training = mode;
    for (const c of this.#children.values()) c.train(mode);
    return this;
  }

  /** Dispose every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const v of this.#parameters.values()) v.dispose();
    for (const v of this.#buffers.values()) v.dispose();
    this.#parameters.clear();
    this.#buffers.clear();
    for (const c of this.#children.values()) c.dispose();
  }
}

function assertName(name: string): void {
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(`Invalid module member name "${name}": use letters, digits and "_" (dots are added by nesting)`);
  }
}

/** Every parameter and buffer of a {@link Parametrized} object by dotted name (its state dict). */
export function stateDict(owner: Parametrized, prefix = ''): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [n, v] of owner.namedParameters()) out.set(prefix + n, v);
  for (const [n, v] of owner.namedBuffers()) out.set(prefix + n, v);
  return out;
}

/**
 * Copy tensors into the matching variables of a state dict. With `strict` (default) every variable must be
 * present with the same shape and no extra tensors may be given; the error lists every mismatch.
 */
export function loadStateDict(
  target: Map<string, tf.Variable>,
  tensors: Map<string, tf.Tensor>,
  options: { strict?: boolean; source?: string } = {},
): void {
  const strict = options.strict ?? true;
  const problems: string[] = [];
  for (const [name, v] of target) {
    const t = tensors.get(name);
    if (!t) {
      if (strict) problems.push(`missing "${name}" (expected shape [${v.shape.join(',')}])`);
      continue;
    }
    if (t.shape.join(',') !== v.shape.join(',')) {
      problems.push(`"${name}" has shape [${t.shape.join(',')}], expected [${v.shape.join(',')}]`);
    }
  }
  if (strict) for (const name of tensors.keys()) if (!target.has(name)) problems.push(`unexpected "${name}"`);
  if (problems.length > 0) {
    throw new Error(`Cannot load state${options.source ? ` from ${options.source}` : ''}:\n  ${problems.join('\n  ')}`);
  }
  for (const [name, v] of target) {
    const t = tensors.get(name);
    if (t) v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype));
  }
}
