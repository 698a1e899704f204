import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { CheckpointMeta, CheckpointStore } from '../contracts/services.js';
import { writeFileAtomic } from './atomic.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Format version of the checkpoint sidecar. */
const SIDECAR_FORMAT = 1;

/** The `<name>.json` sidecar written after the tensor file. */
interface Sidecar {
  /** Sidecar format version. */
  format: number;
  /** File name of the tensor file, relative to the checkpoint folder. */
  tensors: string;
  /** SHA-256 (hex) of the tensor file's bytes; a mismatch means the pair is torn. */
  sha256: string;
  /** Size of the tensor file in bytes. */
  bytes: number;
  /** ISO time of the save. */
  savedAt: string;
  /** Caller metadata. */
  meta: CheckpointMeta;
}

/** Error raised when a checkpoint pair is incomplete or inconsistent. */
export class CorruptCheckpointError extends Error {
  override readonly name = 'CorruptCheckpointError';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A {@link CheckpointStore} on disk: `<name>.safetensors` holds the tensors, `<name>.json` the metadata. Both are
 * written atomically, the sidecar last, and the sidecar names the SHA-256 of the tensor file, so a pair torn by a
 * crash between the two writes is detected: {@link FileCheckpointStore.has} answers false and
 * {@link FileCheckpointStore.load} throws a {@link CorruptCheckpointError} naming the file.
 */
export class FileCheckpointStore implements CheckpointStore {
  /** Folder holding the checkpoint files (created when missing). */
  readonly dir: string;

  /** @param dir - folder holding the checkpoints. */
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  #paths(name: string): { tensors: string; sidecar: string } {
    if (!NAME.test(name)) {
      throw new Error(`checkpoint name ${JSON.stringify(name)}: expected letters, digits, '.', '_' or '-' (no folders)`);
    }
    return { tensors: join(this.dir, `${name}.safetensors`), sidecar: join(this.dir, `${name}.json`) };
  }

  async save(name: string, tensors: Map<string, tf.Tensor>, meta: CheckpointMeta): Promise<void> {
    const paths = this.#paths(name);
    if (!Number.isFinite(meta.step)) throw new Error(`checkpoint ${name}: meta.step must be a number, got ${String(meta.step)}`);
    const bytes = await encodeSafetensors(tensors, { format: 'pt', step: String(meta.step) });
    await writeFileAtomic(paths.tensors, bytes);
    const sidecar: Sidecar = {
      format: SIDECAR_FORMAT,
      tensors: `${name}.safetensors`,
      sha256: sha256(bytes),
      bytes: bytes.byteLength,
      savedAt: new Date().toISOString(),
      meta,
    };
    await writeFileAtomic(paths.sidecar, `${JSON.stringify(sidecar, null, 2)}\n`);
  }

  /** Check a pair; returns the sidecar and tensor bytes, `undefined` when nothing exists, or throws when torn. */
  #verify(name: string, readBytes: (p: string) => Uint8Array): { sidecar: Sidecar; bytes: Uint8Array } | undefined {
    const paths = this.#paths(name);
    const hasTensors = existsSync(paths.tensors);
    const hasSidecar = existsSync(paths.sidecar);
    if (!hasTensors && !hasSidecar) return undefined;
    if (!hasSidecar) {
      throw new CorruptCheckpointError(
        `checkpoint ${paths.tensors} has no sidecar ${paths.sidecar}: the save was interrupted before it completed`,
      );
    }
    let sidecar: Sidecar;
    try {
      sidecar = JSON.parse(readFileSync(paths.sidecar, 'utf8')) as Sidecar;
    } catch (error) {
      throw new CorruptCheckpointError(`checkpoint sidecar ${paths.sidecar} is not valid JSON (${(error as Error).message})`);
    }
    if (typeof sidecar.sha256 !== 'string' || typeof sidecar.meta !== 'object' || sidecar.meta === null) {
      throw new CorruptCheckpointError(`checkpoint sidecar ${paths.sidecar}: expected fields sha256 and meta`);
    }
    if (!hasTensors) {
      throw new CorruptCheckpointError(`checkpoint ${paths.tensors} is missing although its sidecar ${paths.sidecar} exists`);
    }
    const bytes = readBytes(paths.tensors);
    const actual = sha256(bytes);
    if (actual !== sidecar.sha256) {
      throw new CorruptCheckpointError(
        `checkpoint ${paths.tensors} does not match its sidecar ${paths.sidecar} (sha256 ${actual.slice(0, 12)}… ` +
          `!= ${sidecar.sha256.slice(0, 12)}…): the pair is torn, probably by a crash during a save`,
      );
    }
    return { sidecar, bytes };
  }

  async load(name: string): Promise<{ tensors: Map<string, tf.Tensor>; meta: CheckpointMeta } | undefined> {
    const paths = this.#paths(name);
    const cache = new Map<string, Uint8Array>();
    if (existsSync(paths.tensors)) cache.set(paths.tensors, new Uint8Array(await readFile(paths.tensors)));
    const verified = this.#verify(name, (p) => cache.get(p) ?? new Uint8Array(readFileSync(p)));
    if (!verified) return undefined;
    const { tensors } = decodeSafetensors(verified.bytes, paths.tensors);
    return { tensors, meta: verified.sidecar.meta };
  }

  has(name: string): boolean {
    try {
      return this.#verify(name, (p) => new Uint8Array(readFileSync(p))) !== undefined;
    } catch (error) {
      if (error instanceof CorruptCheckpointError) return false;
      throw error;
    }
  }
}
