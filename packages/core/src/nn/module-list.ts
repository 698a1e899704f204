import { Module } from './module.js';

/** An ordered list of modules whose children are named `0`, `1`, `2`, … (like PyTorch's `nn.ModuleList`). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  /** @param modules initial members, named by position. */
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Append a module; it is named by its index. Returns it. */
  push(module: M): M {
    this.addModule(String(this.#items.length), module);
    this.#items.push(module);
    return module;
  }

  /** The module at `index`; throws when out of range. */
  get(index: number): M {
    const m = this.#items[index];
    if (m === undefined) throw new Error(`ModuleList: index ${index} out of range (length ${this.#items.length})`);
    return m;
  }

  /** Number of members. */
  get length(): number {
    return this.#items.length;
  }

  /** Iterate members in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
