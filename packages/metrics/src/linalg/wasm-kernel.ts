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
}

let kernel: Kernel | null | undefined;

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Buffer.from(ROW_DOTS_WASM_BASE64, 'base64');
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const e = instance.exports as unknown as { memory: WasmMemory; __heap_base: { value: number }; row_dots: Kernel['rowDots'] };
    kernel = { memory: e.memory, heapBase: Number(e.__heap_base.value), rowDots: e.row_dots };
  } catch {
    kernel = null;
  }
  return kernel;
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
  const need = cOff + C.byteLength;
  const have = kern.memory.buffer.byteLength;
  if (need > have) kern.memory.grow(Math.ceil((need - have) / 65536));
  const heap = new Float64Array(kern.memory.buffer);
  heap.set(P, pOff / 8);
  if (P !== Q) heap.set(Q, qOff / 8);
  const out = heap.subarray(cOff / 8, cOff / 8 + C.length);
  out.fill(0);
  kern.rowDots(pOff, qOff, cOff, m, n, k, upper ? 1 : 0, KMODE[kStart]);
  for (let i = 0; i < C.length; i++) C[i] += out[i];
  return true;
}
