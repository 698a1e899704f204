/**
 * The fast encoder registered as a custom TensorFlow.js kernel (`IfsqEncode`) for the `cpu` and `wasm` backends,
 * so inference reads the latent in place (cpu: the backend's typed array; wasm: a view of the wasm heap) and
 * writes codes and indices straight into the output tensors. Other backends fall back to a host round trip.
 */
import * as tf from '@tensorflow/tfjs';
import type { FsqConfig } from './config.js';
import { encodeInto, encoderKey, encodeIndices } from './fast-encode.js';

/** Kernel name of the fused threshold encoder. */
export const FSQ_ENCODE_KERNEL = 'IfsqEncode';

const configs = new Map<string, FsqConfig>();

interface EncodeAttrs {
  key: string;
  indexShape: number[];
}

/** Minimal view of the cpu backend's storage. */
interface CpuBackendLike {
  data: { get(id: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
}

/** Minimal view of the wasm backend's heap API. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function configOf(attrs: unknown): { config: FsqConfig; indexShape: number[] } {
  const { key, indexShape } = attrs as EncodeAttrs;
  const config = configs.get(key);
  if (!config) throw new Error(`${FSQ_ENCODE_KERNEL}: unknown configuration ${key}`);
  return { config, indexShape };
}

function kernelRegistered(backend: string): boolean {
  return tf.getKernel(FSQ_ENCODE_KERNEL, backend) !== undefined;
}

/** Register the `IfsqEncode` kernel for `cpu` and `wasm` (idempotent; does not load the wasm backend). */
export function registerFsqEncodeKernels(): void {
  if (!kernelRegistered('cpu')) {
    tf.registerKernel({
      kernelName: FSQ_ENCODE_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { config, indexShape } = configOf(attrs);
        const x = inputs.x as tf.TensorInfo;
        const cpu = backend as unknown as CpuBackendLike;
        const z = cpu.data.get(x.dataId).values as Float32Array;
        const n = z.length / config.levels.length;
        const codes = new Float32Array(z.length);
        const indices = new Int32Array(n * config.groups.length);
        encodeInto(z, config, indices, codes);
        return [cpu.makeTensorInfo(x.shape, 'float32', codes), cpu.makeTensorInfo(indexShape, 'int32', indices)];
      },
    });
  }
  if (!kernelRegistered('wasm')) {
    tf.registerKernel({
      kernelName: FSQ_ENCODE_KERNEL,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { config, indexShape } = configOf(attrs);
        const x = inputs.x as tf.TensorInfo;
        const wasm = backend as unknown as WasmBackendLike;
        const codesT = wasm.makeOutput(x.shape, 'float32');
        const indicesT = wasm.makeOutput(indexShape, 'int32');
        // Take heap views only after every allocation: an allocation may grow (and detach) the heap.
        const z = wasm.typedArrayFromHeap(x) as Float32Array;
        encodeInto(z, config, wasm.typedArrayFromHeap(indicesT) as Int32Array, wasm.typedArrayFromHeap(codesT) as Float32Array);
        return [codesT, indicesT];
      },
    });
  }
}

/**
 * Codes and indices of a float32 latent `[..., d]` through the fused kernel on cpu/wasm, or a host round trip on
 * other backends. No gradient: use the op path when training.
 *
 * @param z - Latent with channels last.
 * @param config - Resolved configuration.
 * @param indexShape - Shape of the index tensor (`[B,h,w]` or `[B,h,w,G]`).
 */
export function encodeTensor(z: tf.Tensor, config: FsqConfig, indexShape: number[]): { codes: tf.Tensor; indices: tf.Tensor } {
  const backend = tf.getBackend();
  const x = z.dtype === 'float32' ? z : tf.cast(z, 'float32');
  try {
    if (backend === 'cpu' || backend === 'wasm') {
      registerFsqEncodeKernels();
      const key = encoderKey(config);
      configs.set(key, config);
      const attrs = { key, indexShape } as unknown as tf.NamedAttrMap;
      const [codes, indices] = tf.engine().runKernel(FSQ_ENCODE_KERNEL, { x }, attrs) as tf.Tensor[];
      return { codes, indices };
    }
    const enc = encodeIndices(x.dataSync() as Float32Array, config, { codes: true });
    return { codes: tf.tensor(enc.codes as Float32Array, x.shape, 'float32'), indices: tf.tensor(enc.indices, indexShape, 'int32') };
  } finally {
    if (x !== z) x.dispose();
  }
}
