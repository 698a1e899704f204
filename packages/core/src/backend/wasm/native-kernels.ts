import { NATIVE_KERNELS_WASM_BASE64 } from './native-kernels.generated.js';

/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM/WebAssembly typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface NativeExports {
  memory: WasmMemory;
  __heap_base: { value: number };
  batch_matmul(
    a: number,
    b: number,
    c: number,
    scratch: number,
    batch: number,
    batchA: number,
    batchB: number,
    m: number,
    k: number,
    n: number,
    transA: number,
    transB: number,
  ): void;
}

/** Shape of one batched product for {@link NativeKernels.batchMatMul}. */
export interface BatchMatMulDims {
  /** Number of products. */
  batch: number;
  /** 1 (shared left operand) or `batch`. */
  batchA: number;
  /** 1 (shared right operand) or `batch`. */
  batchB: number;
  /** Rows of the product. */
  m: number;
  /** Inner dimension. */
  k: number;
  /** Columns of the product. */
  n: number;
  /** Left operand stored `K×M`. */
  transposeA: boolean;
  /** Right operand stored `N×K`. */
  transposeB: boolean;
}

const align = (bytes: number) => (bytes + 15) & ~15;

/**
 * The WASM SIMD kernels of `packages/core/native` (built by `native/build.sh`, embedded as base64). They run in
 * their own linear memory: operands are copied in and results out, which costs far less than the arithmetic
 * they replace.
 */
export class NativeKernels {
  readonly #x: NativeExports;
  readonly #base: number;

  private constructor(x: NativeExports) {
    this.#x = x;
    this.#base = align(Number(x.__heap_base.value));
  }

  /** Compiles the kernels; `undefined` when this runtime has no WebAssembly SIMD. */
  static load(): NativeKernels | undefined {
    try {
      if (!WebAssemblyApi) return undefined;
      const bytes = Uint8Array.from(atob(NATIVE_KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
      const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), {});
      return new NativeKernels(instance.exports as unknown as NativeExports);
    } catch {
      return undefined;
    }
  }

  #reserve(bytes: number): void {
    const need = this.#base + bytes;
    const have = this.#x.memory.buffer.byteLength;
    if (need > have) this.#x.memory.grow(Math.ceil((need - have) / 65536));
  }

  /** `out[p] = op(a[p]) · op(b[p])` for every product `p`, row-major float32. */
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, d: BatchMatMulDims): void {
    const aBytes = align(a.length * 4);
    const bBytes = align(b.length * 4);
    const cBytes = align(out.length * 4);
    this.#reserve(aBytes + bBytes + cBytes + align(d.k * d.n * 4));
    const heap = this.#x.memory.buffer;
    const pa = this.#base;
    const pb = pa + aBytes;
    const pc = pb + bBytes;
    const ps = pc + cBytes;
    new Float32Array(heap, pa, a.length).set(a);
    new Float32Array(heap, pb, b.length).set(b);
    this.#x.batch_matmul(pa, pb, pc, ps, d.batch, d.batchA, d.batchB, d.m, d.k, d.n, d.transposeA ? 1 : 0, d.transposeB ? 1 : 0);
    out.set(new Float32Array(this.#x.memory.buffer, pc, out.length));
  }
}

let shared: NativeKernels | null | undefined;

/** The process-wide {@link NativeKernels}, compiled on first use; `undefined` if unavailable. */
export function nativeKernels(): NativeKernels | undefined {
  if (shared === undefined) shared = NativeKernels.load() ?? null;
  return shared ?? undefined;
}
