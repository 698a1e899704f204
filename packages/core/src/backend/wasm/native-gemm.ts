import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { NATIVE_GEMM_FMA_WASM_BASE64, NATIVE_GEMM_PLAIN_WASM_BASE64 } from './native-gemm.generated.js';

/** The slice of `WebAssembly.Memory` used here (the project's `lib` has no WebAssembly typings). */
export interface SharedMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface GemmExports {
  __stack_pointer: { value: number };
  __heap_base: { value: number };
  gemm_job_bytes(): number;
  gemm_workspace_floats(): number;
  gemm_run(job: number, thread: number): void;
}

/** Shape of one (batched) product for {@link ThreadedGemm.multiply}. */
export interface GemmDims {
  /** Number of products. @default 1 */
  batch?: number;
  /** Products held by the left operand: 1 (shared by every product) or `batch`. @default batch */
  batchA?: number;
  /** Products held by the right operand: 1 (shared) or `batch`. @default batch */
  batchB?: number;
  /** Rows of each product. */
  m: number;
  /** Inner dimension. */
  k: number;
  /** Columns of each product. */
  n: number;
  /** The left operand is stored `K×M`. @default false */
  transposeA?: boolean;
  /** The right operand is stored `N×K`. @default false */
  transposeB?: boolean;
  /**
   * Read the left operand through offset tables instead: `A(i, q) = a[rows[i] + cols[q]]` (`rows` has `m` entries,
   * `cols` `k`; one product; `transposeA` ignored). A convolution's filter gradient is such a product.
   */
  aOffsets?: { readonly rows: Int32Array; readonly cols: Int32Array };
}

/**
 * Another WebAssembly module's shared memory to run in, with its allocator: tfjs' threaded wasm backend exposes both
 * (`Module.wasmMemory`, `Module._malloc`). The GEMM module has no data segment and no start function, and each
 * instance gets its own stack from `malloc`, so it can live inside any module's memory.
 */
export interface SharedHeap {
  /** A shared `WebAssembly.Memory` whose maximum is at most 4 GiB. */
  readonly memory: SharedMemory;
  /** Returns the address of `bytes` free bytes in {@link SharedHeap.memory}, aligned to at least 8. */
  malloc(bytes: number): number;
}

/** Largest thread count of the kernel (`MAX_THREADS` in gemm.c). */
export const MAX_GEMM_THREADS = 8;

const PAGE = 65536;
const MAX_PAGES = 65536; // --max-memory=4 GiB in build.sh, the maximum of tfjs' threaded wasm memory
const WORKER_STACK_BYTES = 64 * 1024;
/** Int32 slots of the control block: [0] job sequence number, [1] quit, [2] failure, [4 + t] last job thread t did. */
const CONTROL_INTS = 4 + MAX_GEMM_THREADS;
/** How long the calling thread waits for a worker before it declares the pool broken. */
const WORKER_TIMEOUT_MS = 60_000;
/** How long a thread spins for the next job, or for the other threads to finish, before it sleeps. */
const SPIN_MS = 0.25;

const align = (bytes: number) => (bytes + 63) & ~63;

/** The worker's whole program: instantiate the shared module on its own stack, then run jobs until told to quit. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control, job, stackTop, index } = workerData;
const { exports } = new WebAssembly.Instance(module, { env: { memory } });
exports.__stack_pointer.value = stackTop;
const ctl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  // Products come in bursts (a layer's forward, then its gradients): spin a little before sleeping, because waking
  // a sleeping thread costs tens of microseconds (more on a virtual machine).
  const spinUntil = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctl, 0) === seen && performance.now() < spinUntil);
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 1) !== 0) break;
  try {
    exports.gemm_run(job, index);
  } catch (e) {
    Atomics.store(ctl, 2, 1);
  }
  Atomics.store(ctl, 4 + index, seen);
  Atomics.notify(ctl, 4 + index);
}
`;

function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/**
 * Compiles the relaxed-SIMD (FMA) build when this runtime accepts it — Node 20 behind a V8 flag — else the plain
 * one; straight to optimised code (V8 would otherwise start in its baseline compiler and tier up per isolate, and
 * a worker's products would run several times slower for their first few hundred calls).
 */
function compileGemm(): { module: object; fma: boolean } {
  setFlagsFromString('--no-liftoff');
  try {
    return compileEitherBuild();
  } finally {
    setFlagsFromString('--liftoff');
  }
}

function compileEitherBuild(): { module: object; fma: boolean } {
  const api = WebAssemblyApi!;
  try {
    return { module: new api.Module(decode(NATIVE_GEMM_FMA_WASM_BASE64)), fma: true };
  } catch {
    // Node 20 (V8 11.3) ships relaxed SIMD behind a flag; later versions have it on.
  }
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    return { module: new api.Module(decode(NATIVE_GEMM_FMA_WASM_BASE64)), fma: true };
  } catch {
    return { module: new api.Module(decode(NATIVE_GEMM_PLAIN_WASM_BASE64)), fma: false };
  }
}

/** Product count, operand batches and float counts of a {@link GemmDims}, checked. */
function operandSizes(d: GemmDims): { batch: number; batchA: number; batchB: number; a: number; b: number; out: number } {
  const batch = d.batch ?? 1;
  const batchA = d.batchA ?? batch;
  const batchB = d.batchB ?? batch;
  for (const [name, count] of [['batchA', batchA], ['batchB', batchB]] as const) {
    if (count !== 1 && count !== batch) throw new Error(`ThreadedGemm: ${name} is ${count}, expected 1 or ${batch}`);
  }
  let a = batchA * d.m * d.k;
  if (d.aOffsets) {
    const { rows, cols } = d.aOffsets;
    if (batch !== 1) throw new Error(`ThreadedGemm: offset tables need one product, got a batch of ${batch}`);
    if (rows.length !== d.m || cols.length !== d.k) {
      throw new Error(`ThreadedGemm: offset tables have ${rows.length} rows and ${cols.length} columns, expected ${d.m} and ${d.k}`);
    }
    let high = -1;
    if (d.m > 0 && d.k > 0) {
      let minR = rows[0];
      let maxR = rows[0];
      for (const r of rows) (minR = Math.min(minR, r)), (maxR = Math.max(maxR, r));
      let minC = cols[0];
      let maxC = cols[0];
      for (const c of cols) (minC = Math.min(minC, c)), (maxC = Math.max(maxC, c));
      if (minR + minC < 0) throw new Error(`ThreadedGemm: offset tables reach element ${minR + minC}, before the operand`);
      high = maxR + maxC;
    }
    a = high + 1;
  }
  return { batch, batchA, batchB, a, b: batchB * d.k * d.n, out: batch * d.m * d.n };
}

/**
 * Blocked SIMD GEMM (`packages/core/native/gemm/gemm.c`) on the calling thread plus `threads − 1` worker threads
 * that share its WebAssembly memory. Operands are read in that memory (copied there unless they already are), each
 * thread computes a band of rows or columns (or whole products of a batch); the calling thread blocks until the
 * workers are done, so {@link ThreadedGemm.multiply} is synchronous. Every element is summed in the same order on
 * any thread count, so results do not depend on it.
 */
export class ThreadedGemm {
  /** Threads that compute a product (the calling one included). */
  readonly threads: number;
  /** Whether the kernel uses relaxed-SIMD fused multiply-add. */
  readonly fma: boolean;
  readonly #memory: SharedMemory;
  readonly #x: GemmExports;
  readonly #workers: Worker[];
  readonly #control: number;
  readonly #job: number;
  readonly #work: number[];
  readonly #operands: number | undefined;
  readonly #heap: SharedHeap | undefined;
  #scratch: { at: number; bytes: number } | undefined;
  #sequence = 0;
  #broken: string | undefined;

  private constructor(fields: {
    threads: number;
    fma: boolean;
    memory: SharedMemory;
    exports: GemmExports;
    workers: Worker[];
    control: number;
    job: number;
    work: number[];
    operands: number | undefined;
    heap: SharedHeap | undefined;
  }) {
    this.threads = fields.threads;
    this.fma = fields.fma;
    this.#memory = fields.memory;
    this.#x = fields.exports;
    this.#workers = fields.workers;
    this.#control = fields.control;
    this.#job = fields.job;
    this.#work = fields.work;
    this.#operands = fields.operands;
    this.#heap = fields.heap;
  }

  /**
   * Compiles the module and starts `threads − 1` workers; resolves once they are running. `undefined` when this
   * runtime has no WebAssembly SIMD, shared memory or worker threads.
   *
   * @param threads computing threads, 1…{@link MAX_GEMM_THREADS} (the calling thread counts as one).
   * @param heap run inside this memory, where {@link ThreadedGemm.multiply} uses views of it in place, instead of a
   *   memory of its own, into which operands are copied.
   */
  static async start(threads: number, heap?: SharedHeap): Promise<ThreadedGemm | undefined> {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_GEMM_THREADS) {
      throw new Error(`ThreadedGemm: threads must be a whole number from 1 to ${MAX_GEMM_THREADS}, got ${threads}`);
    }
    if (!WebAssemblyApi) return undefined;
    let compiled: { module: object; fma: boolean };
    let memory: SharedMemory;
    let exports: GemmExports;
    try {
      compiled = compileGemm();
      memory = heap?.memory ?? new WebAssemblyApi.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
      exports = new WebAssemblyApi.Instance(compiled.module, { env: { memory } }).exports as GemmExports;
    } catch {
      return undefined;
    }
    // Control block, job, stacks (the calling thread's too when inside another module's memory) and per-thread
    // packing space: from `malloc` in a foreign heap, else laid out after the module's own stack.
    let end = align(Number(exports.__heap_base.value));
    const take = (bytes: number): number => {
      if (heap) return align(heap.malloc(bytes + 64)); // over-allocated so the start can move to a 64-byte boundary
      const at = end;
      end = align(end + bytes);
      return at;
    };
    const control = take(CONTROL_INTS * 4);
    new Int32Array(memory.buffer, control, CONTROL_INTS).fill(0);
    const job = take(exports.gemm_job_bytes());
    if (heap) exports.__stack_pointer.value = take(WORKER_STACK_BYTES) + WORKER_STACK_BYTES;
    const stacks: number[] = [];
    for (let t = 1; t < threads; t++) stacks.push(take(WORKER_STACK_BYTES) + WORKER_STACK_BYTES); // stacks grow down
    const work: number[] = [];
    for (let t = 0; t < threads; t++) work.push(take(exports.gemm_workspace_floats() * 4));
    if (!heap && end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    const workers: Worker[] = [];
    try {
      await Promise.all(
        stacks.map(
          (stackTop, i) =>
            new Promise<void>((resolve, reject) => {
              const w = new Worker(WORKER_SOURCE, {
                eval: true,
                // The source is CommonJS: a parent started with --input-type=module must not pass that on.
                execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')),
                workerData: { module: compiled.module, memory, control, job, stackTop, index: i + 1 },
              });
              workers.push(w);
              w.once('message', () => resolve());
              w.once('error', reject);
              w.once('exit', (code) => reject(new Error(`GEMM worker exited with code ${code} while starting`)));
            }),
        ),
      );
    } catch {
      await Promise.all(workers.map((w) => w.terminate()));
      return undefined;
    }
    for (const w of workers) {
      w.removeAllListeners();
      w.on('error', () => undefined);
      w.unref();
    }
    return new ThreadedGemm({
      threads, fma: compiled.fma, memory, exports, workers, control, job, work, operands: heap ? undefined : end, heap,
    });
  }

  /** Why the GEMM no longer computes (a worker stopped answering, or it was disposed), else `undefined`. */
  get broken(): string | undefined {
    return this.#broken;
  }

  /** Whether this GEMM runs inside `memory` (then {@link ThreadedGemm.multiply} uses views of it in place). */
  runsIn(memory: unknown): boolean {
    return memory != null && memory === this.#memory;
  }

  /**
   * `out[p] = op(a[p]) · op(b[p])` for every product `p`, row-major float32 (see {@link GemmDims}). An array that is
   * a view of the GEMM's memory (a tensor of tfjs' threaded heap when the GEMM runs inside it) is used where it
   * lies; any other is copied in (operands) or out (the result).
   * @throws when the operands are shorter than the dimensions say, or a worker stopped answering.
   */
  multiply(a: Float32Array, b: Float32Array, out: Float32Array, d: GemmDims): void {
    if (this.#broken) throw new Error(`ThreadedGemm: ${this.#broken}`);
    const sizes = operandSizes(d);
    const operands = [
      { name: 'a', array: a, length: sizes.a },
      { name: 'b', array: b, length: sizes.b },
      { name: 'out', array: out, length: sizes.out },
    ].map((o) => {
      if (o.array.length < o.length) {
        throw new Error(
          `ThreadedGemm: '${o.name}' has ${o.array.length} floats, expected ${o.length} for ${sizes.batch}×[${d.m}×${d.k}]·[${d.k}×${d.n}]`,
        );
      }
      return { ...o, inPlace: o.array.buffer === this.#memory.buffer };
    });
    // Scratch for the arrays that live elsewhere, then for the offset tables.
    const tables = d.aOffsets ? align(d.m * 4) + d.k * 4 : 0;
    const bytes = operands.reduce((sum, o) => sum + (o.inPlace ? 0 : align(o.length * 4)), tables);
    let next = bytes > 0 ? this.#operandArea(bytes) : 0;
    const heap = this.#memory.buffer;
    const [pa, pb, pc] = operands.map((o) => {
      if (o.inPlace) return o.array.byteOffset;
      const at = next;
      next += align(o.length * 4);
      if (o.name !== 'out') new Float32Array(heap, at, o.length).set(o.array.subarray(0, o.length));
      return at;
    });
    let tableAt: [number, number] = [0, 0];
    if (d.aOffsets) {
      tableAt = [next, next + align(d.m * 4)];
      new Int32Array(heap, tableAt[0], d.m).set(d.aOffsets.rows);
      new Int32Array(heap, tableAt[1], d.k).set(d.aOffsets.cols);
    }
    this.#compute(pa, pb, pc, d, sizes, tableAt);
    if (!operands[2].inPlace) out.set(new Float32Array(this.#memory.buffer, pc, sizes.out));
  }

  #compute(
    pa: number,
    pb: number,
    pc: number,
    d: GemmDims,
    { batch, batchA, batchB }: { batch: number; batchA: number; batchB: number },
    [pRows, pCols]: [number, number],
  ): void {
    const { m, k, n } = d;
    const tA = d.transposeA ?? false;
    const tB = d.transposeB ?? false;
    // Products this small would spend longer waking a worker than computing.
    const threads = batch * m * k * n < 1 << 15 ? 1 : this.threads;
    const job = new Int32Array(this.#memory.buffer, this.#job, 17 + MAX_GEMM_THREADS);
    job.set([
      pa, pb, pc, m, k, n,
      tA ? 1 : k, tA ? m : 1, // A(i, q) = a[i*a_row + q*a_col]
      tB ? 1 : n, tB ? k : 1, // B(q, j) = b[q*b_row + j*b_col]
      batch, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, m * n, threads,
      ...this.#work, ...new Array<number>(MAX_GEMM_THREADS - this.#work.length).fill(0),
      pRows, pCols, // gemm_job.a_rows, a_cols (0: read A through its strides)
    ]);
    this.#run(threads);
  }

  /** Address of at least `bytes` bytes for operands: after the fixed layout, or a block from the foreign heap. */
  #operandArea(bytes: number): number {
    if (this.#heap) {
      if (this.#scratch === undefined || this.#scratch.bytes < bytes) {
        const grown = Math.max(bytes, 2 * (this.#scratch?.bytes ?? 0));
        this.#scratch = { at: align(this.#heap.malloc(grown + 64)), bytes: grown };
      }
      return this.#scratch.at;
    }
    const end = this.#operands! + bytes;
    const have = this.#memory.buffer.byteLength;
    if (end > have) this.#memory.grow(Math.ceil((end - have) / PAGE));
    return this.#operands!;
  }

  #run(threads: number): void {
    if (threads === 1) {
      this.#x.gemm_run(this.#job, 0);
      return;
    }
    const ctl = new Int32Array(this.#memory.buffer, this.#control, CONTROL_INTS);
    const seq = ++this.#sequence;
    Atomics.store(ctl, 0, seq);
    Atomics.notify(ctl, 0);
    this.#x.gemm_run(this.#job, 0);
    for (let t = 1; t < threads; t++) {
      const deadline = Date.now() + WORKER_TIMEOUT_MS;
      // The other threads finish about when this one does: spin first, then sleep.
      const spinUntil = performance.now() + SPIN_MS;
      while (Atomics.load(ctl, 4 + t) !== seq && performance.now() < spinUntil);
      while (Atomics.load(ctl, 4 + t) !== seq) {
        Atomics.wait(ctl, 4 + t, seq - 1, 1000);
        if (Date.now() > deadline) {
          this.#broken = `worker ${t} did not finish a product within ${WORKER_TIMEOUT_MS / 1000} s`;
          throw new Error(`ThreadedGemm: ${this.#broken}`);
        }
      }
    }
    if (Atomics.load(ctl, 2) !== 0) {
      this.#broken = 'a worker failed while computing a product';
      throw new Error(`ThreadedGemm: ${this.#broken}`);
    }
  }

  /** Stops the workers; later calls to {@link ThreadedGemm.multiply} throw. */
  async dispose(): Promise<void> {
    this.#broken ??= 'disposed';
    const ctl = new Int32Array(this.#memory.buffer, this.#control, CONTROL_INTS);
    Atomics.store(ctl, 1, 1);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
