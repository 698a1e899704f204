import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Most threads the wasm backend can run: tfjs' threaded build pre-allocates a pool of 8 pthread workers, and asking
 * for more would make it create workers after start-up, outside the window in which the Node shim is installed.
 */
export const MAX_WASM_THREADS = 8;

/** What {@link initWasmThreads} did: the threads asked for, the threads XNNPACK runs, and why. */
export interface WasmThreadsInfo {
  /** Threads asked for. */
  readonly requested: number;
  /** Threads the wasm backend's XNNPACK thread pool runs (1 when the threaded build could not be used). */
  readonly threads: number;
  /** One sentence: why this many. */
  readonly reason: string;
}

/** Test seams of {@link initWasmThreads}. */
export interface WasmThreadsHooks {
  /**
   * Path of tfjs' threaded-SIMD emscripten script that the pthread workers load.
   * @default `@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js`, resolved from this package
   */
  threadedScript?: string;
}

/**
 * The code in tfjs' pthread worker script that loads the main emscripten script: in Node it cannot load the `Blob`
 * tfjs passes, so the shim makes it load the script file instead. Checked verbatim: a tfjs release that changes it
 * makes {@link initWasmThreads} fall back to one thread with that reason, instead of failing at run time.
 */
const WORKER_LOADS_MAIN_SCRIPT = 'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}';

/** The thread count `auto` means: the machine's logical cores, at most {@link MAX_WASM_THREADS}. */
export function defaultWasmThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, MAX_WASM_THREADS));
}

interface WasmBackendModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** A `Blob` that remembers its parts, so the pthread worker script can be written to a file synchronously. */
type PartsBlob = Blob & { readonly ifsqParts?: readonly unknown[] };

/**
 * Initialises the `wasm` backend with `requested` XNNPACK threads (convolutions and matrix products run on all of
 * them; every output element is still computed by one thread in a fixed order, so results do not depend on the
 * thread count). tfjs 4.22 disables its threaded build under Node (tfjs issue 3830) for two reasons this function
 * works around while the backend starts, and undoes afterwards:
 *
 * - emscripten hands `worker_threads` `blob:` URLs, which Node rejects: the worker script is written to a temporary
 *   file instead, and made to load tfjs' threaded script from its file;
 * - the C++ side caps the pool at half of `os.cpus()` (it assumes hyper-threading): `os.cpus()` reports each CPU
 *   twice during start-up.
 *
 * The pool's workers are `unref()`ed, so they do not keep a finished process alive. Call before anything initialises
 * the wasm backend; once it runs, its thread count is fixed for the life of the process. Never throws: any failure
 * leaves (or re-initialises) the backend with one thread and says why.
 */
export async function initWasmThreads(requested: number, hooks: WasmThreadsHooks = {}): Promise<WasmThreadsInfo> {
  const wasmModule = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmBackendModule;
  const single = (reason: string): WasmThreadsInfo => ({ requested, threads: 1, reason });
  if (!Number.isInteger(requested) || requested < 1) {
    throw new Error(`wasm threads: expected a whole number ≥ 1, got ${String(requested)}`);
  }
  if (wasmBackendStarted()) {
    const threads = wasmModule.getThreadsCount();
    return { requested, threads, reason: `the wasm backend was already running with ${threads} thread(s) in this process` };
  }
  if (requested === 1) return single('1 thread was requested');
  if (typeof SharedArrayBuffer === 'undefined') return single('this runtime has no SharedArrayBuffer');
  const count = Math.min(requested, MAX_WASM_THREADS);
  let script: string;
  try {
    script = hooks.threadedScript ?? threadedScriptPath();
  } catch (error) {
    return single(`tfjs' threaded wasm script was not found (${(error as Error).message})`);
  }
  if (!existsSync(script)) return single(`tfjs' threaded wasm script ${script} does not exist`);

  const precheck = workerScriptProblem();
  if (precheck) return single(precheck);

  const shim = installNodeShim(script);
  const previous = activeBackendName();
  let failure: string | undefined;
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasmModule.setThreadsCount(count);
    if (!(await tf.setBackend('wasm'))) failure = 'the threaded wasm backend failed to initialise';
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    shim.restore();
  }
  if (failure === undefined) {
    shim.unrefWorkers();
  } else {
    // tfjs keeps the backend factory after a failed start: the next `setBackend('wasm')` starts the stock binary.
    shim.terminateWorkers();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmModule.setThreadsCount(1);
  }
  if (previous && previous !== 'wasm') await tf.setBackend(previous);
  if (failure !== undefined) return single(`wasm threads are unavailable (${failure}); running 1 thread`);
  const threads = wasmModule.getThreadsCount();
  const capped = requested > MAX_WASM_THREADS ? ` (capped at the pool size ${MAX_WASM_THREADS})` : '';
  return { requested, threads, reason: `${threads} wasm threads${capped}` };
}

/**
 * Why the shim cannot work with the installed tfjs-backend-wasm, or `undefined`: the pthread worker script (a string
 * in tfjs' Node bundle, where quotes are escaped) must contain {@link WORKER_LOADS_MAIN_SCRIPT}. Checked before
 * starting anything, because a worker that cannot load its script would leave the backend's start-up waiting.
 */
function workerScriptProblem(): string | undefined {
  try {
    const bundle = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm'), 'utf8');
    if (bundle.includes(WORKER_LOADS_MAIN_SCRIPT.replaceAll('"', '\\"'))) return undefined;
    return `this tfjs-backend-wasm's pthread worker script has an unexpected shape (the Node shim was written for 4.22)`;
  } catch (error) {
    return `tfjs-backend-wasm's Node bundle could not be read (${error instanceof Error ? error.message : String(error)})`;
  }
}

const require = createRequire(import.meta.url);

function threadedScriptPath(): string {
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
}

/**
 * Whether the wasm backend has started (or is starting), without starting it: `tf.findBackend` would start it, and
 * not wait for it.
 */
export function wasmBackendStarted(): boolean {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown>; pendingBackendInit?: unknown; backendName?: string };
  return 'wasm' in engine.registry || (engine.pendingBackendInit != null && engine.backendName === 'wasm');
}

/** The name of the active backend without initialising one (`tf.getBackend()` would). */
function activeBackendName(): string | undefined {
  return (tf.engine() as unknown as { backendName?: string }).backendName ?? undefined;
}

interface NodeShim {
  restore(): void;
  unrefWorkers(): void;
  terminateWorkers(): void;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}

function installNodeShim(script: string): NodeShim {
  const dir = mkdtempSync(join(os.tmpdir(), 'ifsq-wasm-threads-'));
  const g = globalThis as unknown as { Blob: typeof Blob; Worker?: new (...args: unknown[]) => NodeWorker };
  const originalBlob = g.Blob;
  const originalCreate = URL.createObjectURL;
  const originalCpus = os.cpus;
  const originalWorker = g.Worker;
  const workers: NodeWorker[] = [];
  let files = 0;
  let workerWrapped: (new (...args: unknown[]) => NodeWorker) | undefined;
  let wrappedBase: (new (...args: unknown[]) => NodeWorker) | undefined;

  g.Blob = class extends originalBlob {
    readonly ifsqParts: readonly unknown[];
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      this.ifsqParts = args[0] ?? [];
    }
  };
  URL.createObjectURL = (blob: Blob): string => {
    // emscripten installed `globalThis.Worker = worker_threads.Worker` just before it asks for the worker's URL:
    // wrap it once so the pool's workers can be unref'd (or terminated) after start-up.
    const current = g.Worker;
    if (current && current !== workerWrapped) {
      wrappedBase = current;
      workerWrapped = class extends current {
        constructor(...args: unknown[]) {
          super(...args);
          workers.push(this);
        }
      };
      g.Worker = workerWrapped;
    }
    const parts = (blob as PartsBlob).ifsqParts;
    if (!parts) return originalCreate.call(URL, blob);
    let text = parts.map(String).join('');
    if (text.includes('onmessage')) {
      text = text.replace(WORKER_LOADS_MAIN_SCRIPT, `if(true){importScripts(${JSON.stringify(script)})}`);
    }
    const file = join(dir, `worker-${files++}.js`);
    writeFileSync(file, text);
    return file;
  };
  os.cpus = () => {
    const cpus = originalCpus.call(os);
    return [...cpus, ...cpus];
  };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  return {
    restore() {
      g.Blob = originalBlob;
      URL.createObjectURL = originalCreate;
      os.cpus = originalCpus;
      if (g.Worker === workerWrapped) g.Worker = wrappedBase ?? originalWorker;
      // The workers read their script while the backend starts; the files are not needed afterwards.
      removeDir();
      process.removeListener('exit', removeDir);
    },
    unrefWorkers() {
      for (const w of workers) w.unref();
    },
    terminateWorkers() {
      for (const w of workers) void w.terminate();
    },
  };
}
