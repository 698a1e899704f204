import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Contents accepted by the atomic writers: text (written as UTF-8) or bytes. */
export type FileData = string | Uint8Array;

/**
 * Write a file atomically: the data goes to a temporary file in the same folder, is flushed to disk (`fsync`) and
 * then renamed over `path`. Readers see either the old file or the complete new one, never a partial file; when
 * writing fails the temporary file is removed and `path` is untouched. Creates missing parent folders.
 *
 * @param data - the contents, or a function producing them (an exception it throws leaves no file behind).
 */
export async function writeFileAtomic(path: string, data: FileData | (() => FileData | Promise<FileData>)): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    const contents = typeof data === 'function' ? await data() : data;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Synchronous {@link writeFileAtomic} (for state files written from signal handlers and exit paths). */
export function writeFileAtomicSync(path: string, data: FileData): void {
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
