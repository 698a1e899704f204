import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the `run.lock` file of a run directory so two processes never write the same run. A lock left by a
 * process that no longer exists is taken over. Returns a function releasing the lock.
 *
 * @throws when a live process (other than this one) holds the lock, naming it.
 */
export function acquireRunLock(runDir: string): () => void {
  const path = join(runDir, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
        throw new Error(`run directory ${runDir} is in use by process ${pid} (${path}); wait for it or stop it first`);
      }
      if (Number.isInteger(pid) && pid === process.pid) {
        throw new Error(`run directory ${runDir} is already being run by this process`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
