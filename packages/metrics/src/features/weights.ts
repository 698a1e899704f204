import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';

/** Named weight tensors of a network, with the hash of the file they came from. */
export interface LoadedWeights {
  /** Tensors by name (caller disposes). */
  tensors: Map<string, tf.Tensor>;
  /** `__metadata__` of the file. */
  metadata: Record<string, string>;
  /** SHA-256 (hex) of the file bytes. */
  sha256: string;
  /** Where they were read from. */
  source: string;
}

/** SHA-256 (hex) of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Read a local safetensors weights file (no network access).
 * @param what what the weights are for, used in error messages (`LPIPS`, `InceptionV3`).
 * @throws Error naming the option and the path when the path is missing or unreadable.
 */
export async function loadSafetensorsWeights(path: string | undefined, what: string, option = 'weights'): Promise<LoadedWeights> {
  if (!path) {
    throw new Error(
      `${what}: no weights file given. Set option "${option}" to a local .safetensors file (nothing is downloaded); see the @ifsq/metrics README for how to convert the official weights.`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new Error(`${what}: cannot read weights file ${path} (option "${option}"): ${(err as Error).message}`);
  }
  // Loaded on demand so that importing @ifsq/metrics does not load all of @ifsq/core.
  const { decodeSafetensors } = await import('@ifsq/core');
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  return { tensors, metadata, sha256: sha256Hex(bytes), source: path };
}

/** Weights from an in-memory map (tests, custom loaders): hashes the values so provenance stays meaningful. */
export function weightsFromMap(tensors: Map<string, tf.Tensor>, source = 'in-memory'): LoadedWeights {
  const h = createHash('sha256');
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    h.update(name);
    h.update(JSON.stringify(t.shape));
    const v = t.dataSync();
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return { tensors, metadata: {}, sha256: h.digest('hex'), source };
}

/** Take one tensor by name with an expected rank. @throws Error naming the file and tensor. */
export function requireTensor(w: LoadedWeights, name: string, rank?: number): tf.Tensor {
  const t = w.tensors.get(name);
  if (!t) throw new Error(`${w.source}: missing weight tensor "${name}"`);
  if (rank !== undefined && t.rank !== rank) throw new Error(`${w.source}: tensor "${name}" must have rank ${rank}, has shape [${t.shape.join(',')}]`);
  return t;
}

/** PyTorch conv weight `[O,I,kh,kw]` → tfjs filter `[kh,kw,I,O]` (new tensor). */
export function torchConvToTf(w: tf.Tensor): tf.Tensor4D {
  return tf.transpose(w as tf.Tensor4D, [2, 3, 1, 0]);
}

/** Dispose every tensor of a weights map. */
export function disposeWeights(w: LoadedWeights): void {
  for (const t of w.tensors.values()) t.dispose();
  w.tensors.clear();
}
