import * as tf from '@tensorflow/tfjs';
import type { SharedMemory } from './native-gemm.js';
export { seededNormal } from './seeded-normal.js';

/** Runs `fn` with `backend` active and returns the flat values of its result (the result is disposed). */
export async function valuesOn(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = tf.tidy(fn);
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return Float32Array.from(v);
}

/** Largest |a−b| / (atol + rtol·|b|) over all elements; ≤ 1 means "close". */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** A stand-in for another module's shared wasm memory: filled with 0xa5, with a bump allocator that logs its blocks. */
export interface ForeignHeap {
  memory: SharedMemory;
  malloc(bytes: number): number;
  /** `[address, bytes]` of every block handed out. */
  given: Array<[number, number]>;
  /** Throws unless every byte below the allocator's end, outside `regions` and the blocks, is still 0xa5. */
  expectUntouchedExcept(regions: Array<[number, number]>): void;
}

/** A shared memory of `pages` 64 KiB pages whose allocator starts at `start`. */
export function foreignHeap(pages: number, start: number): ForeignHeap {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => SharedMemory } }).WebAssembly;
  const memory = new api.Memory({ initial: pages, maximum: 65536, shared: true });
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(0xa5);
  let next = start;
  const given: Array<[number, number]> = [];
  return {
    memory,
    given,
    malloc: (n) => {
      given.push([next, n]);
      const at = next;
      next += (n + 15) & ~15;
      return at;
    },
    expectUntouchedExcept: (regions) => {
      // Blocks may be used from a 16- or 64-byte aligned start inside them.
      const allowed = [...regions, ...given.map(([at, n]): [number, number] => [at, n + 64])];
      for (let i = 0; i < next + 4096; i++) {
        if (bytes[i] !== 0xa5 && !allowed.some(([at, n]) => i >= at && i < at + n)) throw new Error(`byte ${i} changed`);
      }
    },
  };
}

/** Section ids of a WebAssembly binary, in order (8 start, 10 code, 11 data, 12 data count). */
export function wasmSectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  for (let p = 8; p < bytes.length; ) {
    ids.push(bytes[p++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[p++];
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    p += size;
  }
  return ids;
}
