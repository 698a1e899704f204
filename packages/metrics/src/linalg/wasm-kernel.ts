import { ROW_DOTS_WASM_BASE64 } from './wasm-kernel-binary.js';

/**
 * The WebAssembly SIMD version of `addRowDots` (native/row_dots.c, f64x2, ~3-4x the scalar JS loop). Instantiated
 * lazily and synchronously; when the runtime lacks WebAssembly SIMD, {@link wasmRowDots} returns false and callers
 * use the JS loop. Results are identical up to summation order.
 */
/** The slice of the WebAssembly API used here (the DOM lib that declares it is not in this package's tsconfig). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

interface Kernel {
  memory: WasmMemory;
  heapBase: number;
  rowDots: (p: number, q: number, c: number, m: number, n: number, k: number, upper: number, kmode: number) => void;
  tridiagonalize: (a: number, n: number, d: number, e: number, v: number, w: number) => void;
}

let kernel: Kernel | null | undefined;

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Buffer.from(ROW_DOTS_WASM_BASE64, 'base64');
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const e = instance.exports as unknown as {
      memory: WasmMemory;
      __heap_base: { value: number };
      row_dots: Kernel['rowDots'];
      tridiagonalize: Kernel['tridiagonalize'];
    };
    kernel = { memory: e.memory, heapBase: Number(e.__heap_base.value), rowDots: e.row_dots, tridiagonalize: e.tridiagonalize };
  } catch {
    kernel = null;
  }
  return kernel;
}

function ensureMemory(kern: Kernel, bytes: number): void {
  const have = kern.memory.buffer.byteLength;
  if (bytes > have) kern.memory.grow(Math.ceil((bytes - have) / 65536));
}

/**
 * Householder tridiagonalisation of the symmetric `n×n` matrix `A` (values only) in WebAssembly: fills `d`
 * (diagonal) and `e` (sub-diagonal, `e[n−1] = 0`). Returns false when WebAssembly is unavailable.
 */
export function wasmTridiagonalize(A: Float64Array, n: number, d: Float64Array, e: Float64Array): boolean {
  const kern = load();
  if (!kern) return false;
  const base = Math.ceil(kern.heapBase / 16) * 16;
  const vecBytes = Math.ceil((n * 8) / 16) * 16;
  const aOff = base;
  const dOff = aOff + Math.ceil(A.byteLength / 16) * 16;
  const eOff = dOff + vecBytes;
  const vOff = eOff + vecBytes;
  const wOff = vOff + vecBytes;
  ensureMemory(kern, wOff + vecBytes);
  const heap = new Float64Array(kern.memory.buffer);
  heap.set(A, aOff / 8);
  kern.tridiagonalize(aOff, n, dOff, eOff, vOff, wOff);
  d.set(heap.subarray(dOff / 8, dOff / 8 + n));
  e.set(heap.subarray(eOff / 8, eOff / 8 + n));
  return true;
}

/** Which summation start the kernel uses per 4×4 block: 0, the block's first column, or its first row. */
export type KStartMode = 'none' | 'col' | 'row';

const KMODE: Record<KStartMode, number> = { none: 0, col: 1, row: 2 };

/**
 * `C += P·Qᵀ` through the WebAssembly kernel (see `addRowDots`). Returns false when WebAssembly SIMD is unavailable.
 */
export function wasmRowDots(
  P: Float64Array, Q: Float64Array, C: Float64Array, m: number, n: number, k: number, upper: boolean, kStart: KStartMode,
): boolean {
  const kern = load();
  if (!kern) return false;
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const pOff = align(kern.heapBase);
  const qOff = P === Q ? pOff : align(pOff + P.byteLength);
  const cOff = align((P === Q ? pOff + P.byteLength : qOff + Q.byteLength));
  ensureMemory(kern, cOff + C.byteLength);
  const heap = new Float64Array(kern.memory.buffer);
  heap.set(P, pOff / 8);
  if (P !== Q) heap.set(Q, qOff / 8);
  const out = heap.subarray(cOff / 8, cOff / 8 + C.length);
  out.fill(0);
  kern.rowDots(pOff, qOff, cOff, m, n, k, upper ? 1 : 0, KMODE[kStart]);
  for (let i = 0; i < C.length; i++) C[i] += out[i];
  return true;
}
