import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
import { appendJsonl, readJsonl } from './jsonl.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ifsq-io-'));

describe('writeFileAtomic', () => {
  it('writes text and bytes, creating parent folders', async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, 'a/b/c.txt'), 'hello');
    await writeFileAtomic(join(dir, 'd.bin'), new Uint8Array([1, 2, 3]));
    expect(readFileSync(join(dir, 'a/b/c.txt'), 'utf8')).toBe('hello');
    expect([...readFileSync(join(dir, 'd.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).sort()).toEqual(['a', 'd.bin']);
  });

  it('leaves the old file and no temporary file when the writer throws', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old');
    await expect(
      writeFileAtomic(path, () => {
        throw new Error('writer failed halfway');
      }),
    ).rejects.toThrow('writer failed halfway');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('leaves no partial file when the rename fails', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'occupied'));
    writeFileSync(join(dir, 'occupied', 'x'), '');
    await expect(writeFileAtomic(join(dir, 'occupied'), 'data')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['occupied']);
    expect(() => writeFileAtomicSync(join(dir, 'occupied'), 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['occupied']);
  });

  it('replaces an existing file synchronously', () => {
    const dir = tempDir();
    const path = join(dir, 'f.txt');
    writeFileAtomicSync(path, 'one');
    writeFileAtomicSync(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['f.txt']);
  });
});

describe('JSON Lines', () => {
  it('appends one record per line and reads them back', () => {
    const path = join(tempDir(), 'm.jsonl');
    expect(readJsonl(path)).toEqual([]);
    appendJsonl(path, { a: 1 });
    appendJsonl(path, { b: 'x\ny' });
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    expect(readJsonl(path)).toEqual([{ a: 1 }, { b: 'x\ny' }]);
  });

  it('ignores a torn last line but names the file and line of a corrupt one', () => {
    const path = join(tempDir(), 'm.jsonl');
    writeFileSync(path, '{"a":1}\n{"b":');
    expect(readJsonl(path)).toEqual([{ a: 1 }]);
    writeFileSync(path, '{"a":1}\n{"b":\n{"c":3}\n');
    expect(() => readJsonl(path)).toThrow(`${path}:2: not valid JSON`);
  });
});
