import type * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { fastTranspose } from './transpose-kernel.js';
import type { TensorOps } from './tensor-ops.js';

/** The parts of the wasm backend object the kernels touch. */
export interface WasmBackendLike extends tf.KernelBackend {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  numDataIds(): number;
  wasm: { HEAPU8: Uint8Array };
}

/** A 4-byte word view of the whole wasm heap; take it after the last allocation (growth detaches views). */
export function heapWords(wasm: WasmBackendLike): Int32Array {
  const bytes = wasm.wasm.HEAPU8;
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}

/** Word offset of a tensor's data on the heap. */
export function wordOffset(wasm: WasmBackendLike, t: tf.TensorInfo): number {
  return wasm.typedArrayFromHeap(t).byteOffset >>> 2;
}

/**
 * Runs stock wasm kernels directly (no engine, no tape) and remembers every intermediate so one call to
 * {@link KernelCalls.disposeExcept} frees them all. Used to build composite kernels inside a kernel function.
 */
export class KernelCalls implements TensorOps<tf.TensorInfo> {
  readonly #backend: WasmBackendLike;
  readonly #made: tf.TensorInfo[] = [];

  constructor(backend: WasmBackendLike) {
    this.#backend = backend;
  }

  /** Runs the stock wasm kernel `name` and records its output as an intermediate. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    return this.#record(name, stockKernel(name).kernelFunc({ inputs, backend: this.#backend, attrs }));
  }

  #record(name: string, out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
    if (Array.isArray(out)) throw new Error(`wasm training path: kernel '${name}' returned several outputs`);
    this.#made.push(out);
    return out;
  }

  /** Frees every intermediate except `result`, which the caller hands to the engine. */
  disposeExcept(result: tf.TensorInfo): tf.TensorInfo {
    let kept = false;
    for (const t of this.#made) {
      if (!kept && t === result) {
        kept = true;
        continue;
      }
      this.#backend.disposeData(t.dataId);
    }
    this.#made.length = 0;
    if (!kept) throw new Error('wasm training path: composite result was not produced by this KernelCalls');
    return result;
  }

  /** Frees every intermediate (for a caller whose result was made elsewhere). */
  disposeAll(): void {
    for (const t of this.#made) this.#backend.disposeData(t.dataId);
    this.#made.length = 0;
  }

  pad(x: tf.TensorInfo, paddings: Array<[number, number]>): tf.TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 } as unknown as tf.NamedAttrMap);
  }
  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }
  stridedSlice(x: tf.TensorInfo, begin: number[], end: number[], strides: number[]): tf.TensorInfo {
    return this.run(
      'StridedSlice',
      { x },
      { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
    );
  }
  concat(xs: tf.TensorInfo[], axis: number): tf.TensorInfo {
    if (xs.length === 1) return xs[0];
    return this.run('Concat', xs as unknown as tf.NamedTensorInfoMap, { axis });
  }
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.#record('Transpose', fastTranspose({ inputs: { x }, backend: this.#backend, attrs: { perm } }));
  }
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }
  conv2dValid(x: tf.TensorInfo, filter: tf.TensorInfo, dilations: [number, number] = [1, 1]): tf.TensorInfo {
    return this.run(
      'Conv2D',
      { x, filter },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations } as unknown as tf.NamedAttrMap,
    );
  }
  conv2dPadded(x: tf.TensorInfo, filter: tf.TensorInfo, [h, w]: [[number, number], [number, number]]): tf.TensorInfo {
    return this.run(
      'Conv2D',
      { x, filter },
      { strides: [1, 1], pad: [[0, 0], h, w, [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap,
    );
  }
  reverse(x: tf.TensorInfo, axes: number[]): tf.TensorInfo {
    return this.run('Reverse', { x }, { dims: axes });
  }
}
