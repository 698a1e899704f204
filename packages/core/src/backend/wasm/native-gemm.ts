import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { NATIVE_GEMM_FMA_WASM_BASE64, NATIVE_GEMM_PLAIN_WASM_BASE64 } from './native-gemm.generated.js';

/** The slice of the WebAssembly JS API used here (the project's `lib` has no WebAssembly typings). */
interface SharedMemory {
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
}

/** Largest thread count of the kernel (`MAX_THREADS` in gemm.c). */
export const MAX_GEMM_THREADS = 8;

const PAGE = 65536;
const MAX_PAGES = 32768; // --max-memory=2 GiB in build.sh
const WORKER_STACK_BYTES = 64 * 1024;
/** Int32 slots of the control block: [0] job sequence number, [1] quit, [2] failure, [4 + t] last job thread t did. */
const CONTROL_INTS = 4 + MAX_GEMM_THREADS;
/** How long the calling thread waits for a worker before it declares the pool broken. */
const WORKER_TIMEOUT_MS = 60_000;

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

/**
 * Blocked SIMD GEMM (`packages/core/native/gemm/gemm.c`) on the calling thread plus `threads − 1` worker threads
 * that share its WebAssembly memory. Operands are copied into that memory, each thread computes a band of rows or
 * columns (or whole products of a batch), and the result is copied out; the calling thread blocks until the
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
  readonly #operands: number;
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
    operands: number;
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
  }

  /**
   * Compiles the module and starts `threads − 1` workers; resolves once they are running. `undefined` when this
   * runtime has no WebAssembly SIMD, shared memory or worker threads.
   *
   * @param threads computing threads, 1…{@link MAX_GEMM_THREADS} (the calling thread counts as one).
   */
  static async start(threads: number): Promise<ThreadedGemm | undefined> {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_GEMM_THREADS) {
      throw new Error(`ThreadedGemm: threads must be a whole number from 1 to ${MAX_GEMM_THREADS}, got ${threads}`);
    }
    if (!WebAssemblyApi) return undefined;
    let compiled: { module: object; fma: boolean };
    let memory: SharedMemory;
    let exports: GemmExports;
    try {
      compiled = compileGemm();
      memory = new WebAssemblyApi.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
      exports = new WebAssemblyApi.Instance(compiled.module, { env: { memory } }).exports as GemmExports;
    } catch {
      return undefined;
    }
    // Layout after the module's own data and stack: control block, job, worker stacks, per-thread packing space.
    let end = align(Number(exports.__heap_base.value));
    const control = end;
    end = align(end + CONTROL_INTS * 4);
    const job = end;
    end = align(end + exports.gemm_job_bytes());
    const stacks: number[] = [];
    for (let t = 1; t < threads; t++) {
      end = align(end + WORKER_STACK_BYTES);
      stacks.push(end); // the stack grows down from its top
    }
    const work: number[] = [];
    for (let t = 0; t < threads; t++) {
      work.push(end);
      end = align(end + exports.gemm_workspace_floats() * 4);
    }
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
    const workers: Worker[] = [];
    try {
      await Promise.all(
        stacks.map(
          (stackTop, i) =>
            new Promise<void>((resolve, reject) => {
              const w = new Worker(WORKER_SOURCE, {
                eval: true,
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
      threads, fma: compiled.fma, memory, exports, workers, control, job, work, operands: end,
    });
  }

  /**
   * `out[p] = op(a[p]) · op(b[p])` for every product `p`, row-major float32 (see {@link GemmDims}).
   * @throws when the operands are shorter than the dimensions say, or a worker stopped answering.
   */
  multiply(a: Float32Array, b: Float32Array, out: Float32Array, d: GemmDims): void {
    if (this.#broken) throw new Error(`ThreadedGemm: ${this.#broken}`);
    const { m, k, n } = d;
    const batch = d.batch ?? 1;
    const batchA = d.batchA ?? batch;
    const batchB = d.batchB ?? batch;
    for (const [name, count] of [['batchA', batchA], ['batchB', batchB]] as const) {
      if (count !== 1 && count !== batch) throw new Error(`ThreadedGemm: ${name} is ${count}, expected 1 or ${batch}`);
    }
    const sizes = { a: batchA * m * k, b: batchB * k * n, out: batch * m * n };
    for (const [name, arr] of [['a', a], ['b', b], ['out', out]] as const) {
      if (arr.length < sizes[name]) {
        throw new Error(`ThreadedGemm: '${name}' has ${arr.length} floats, expected ${sizes[name]} for ${batch}×[${m}×${k}]·[${k}×${n}]`);
      }
    }
    const pa = this.#operands;
    const pb = align(pa + sizes.a * 4);
    const pc = align(pb + sizes.b * 4);
    const end = pc + sizes.out * 4;
    const have = this.#memory.buffer.byteLength;
    if (end > have) this.#memory.grow(Math.ceil((end - have) / PAGE));
    const heap = this.#memory.buffer;
    new Float32Array(heap, pa, sizes.a).set(a.subarray(0, sizes.a));
    new Float32Array(heap, pb, sizes.b).set(b.subarray(0, sizes.b));
    const tA = d.transposeA ?? false;
    const tB = d.transposeB ?? false;
    // Products this small would spend longer waking a worker than computing.
    const threads = batch * m * k * n < 1 << 15 ? 1 : this.threads;
    const job = new Int32Array(heap, this.#job, 15 + MAX_GEMM_THREADS);
    job.set([
      pa, pb, pc, m, k, n,
      tA ? 1 : k, tA ? m : 1, // A(i, q) = a[i*a_row + q*a_col]
      tB ? 1 : n, tB ? k : 1, // B(q, j) = b[q*b_row + j*b_col]
      batch, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, m * n, threads,
      ...this.#work, ...new Array<number>(MAX_GEMM_THREADS - this.#work.length).fill(0),
    ]);
    this.#run(threads);
    out.set(new Float32Array(this.#memory.buffer, pc, sizes.out));
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

const GEMM_KEY = Symbol.for('@ifsq/core.wasm.threadedGemm');

interface GemmSlot {
  started?: Promise<ThreadedGemm | undefined>;
  gemm?: ThreadedGemm;
  enabled: boolean;
}

function slot(): GemmSlot {
  const g = globalThis as unknown as Record<symbol, GemmSlot | undefined>;
  return (g[GEMM_KEY] ??= { enabled: true });
}

/**
 * Starts the process-wide {@link ThreadedGemm} on `threads` threads, once: later calls resolve to the first one
 * whatever they ask for (like the wasm backend's own thread pool). Resolves to `undefined` when the runtime cannot
 * run it.
 */
export function startThreadedGemm(threads: number): Promise<ThreadedGemm | undefined> {
  const s = slot();
  s.started ??= ThreadedGemm.start(threads).then(
    (gemm) => (s.gemm = gemm),
    () => undefined,
  );
  return s.started;
}

/** The process-wide {@link ThreadedGemm} once started and while enabled, else `undefined`. */
export function threadedGemm(): ThreadedGemm | undefined {
  const s = slot();
  return s.enabled ? s.gemm : undefined;
}

/**
 * Turns routing of matrix products to the {@link ThreadedGemm} on or off process-wide (for benchmarks and A/B
 * checks); when off, {@link threadedGemm} is `undefined` and products run on XNNPACK.
 *
 * @param enabled whether {@link threadedGemm} may return the started instance. @default true (initial state)
 */
export function setThreadedGemm(enabled: boolean): void {
  slot().enabled = enabled;
}
