import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx, readIdxFile } from './idx.js';

describe('IDX reader', () => {
  it('decodes big-endian int16 and float32 arrays with their dims', () => {
    // Hand-built bytes: magic 00 00 0b 02, dims 2×2, then big-endian int16 1, -2, 256, 300.
    const bytes = Uint8Array.from([0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0xff, 0xfe, 1, 0, 1, 44]);
    const parsed = parseIdx(bytes, 'hand.idx');
    expect(parsed.dtype).toBe('int16');
    expect(parsed.dims).toEqual([2, 2]);
    expect(Array.from(parsed.data)).toEqual([1, -2, 256, 300]);

    const floats = parseIdx(encodeIdx({ dtype: 'float32', dims: [3], data: Float32Array.from([0.5, -1.25, 3]) }), 'f');
    expect(Array.from(floats.data)).toEqual([0.5, -1.25, 3]);
  });

  it('reads gzip and raw files alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idx-'));
    const raw = encodeIdx({ dtype: 'uint8', dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    await writeFile(join(dir, 'a.idx'), raw);
    await writeFile(join(dir, 'a.idx.gz'), gzipSync(raw));
    const a = await readIdxFile(join(dir, 'a.idx'));
    const b = await readIdxFile(join(dir, 'a.idx.gz'));
    expect(Array.from(b.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b).toEqual(a);
  });

  it('names the file and the missing byte count when the pixels are truncated', () => {
    const full = encodeIdx({ dtype: 'uint8', dims: [10, 28, 28], data: new Uint8Array(7840) });
    expect(() => parseIdx(full.subarray(0, 16 + 1234), '/x/t10k-images-idx3-ubyte.gz', { what: 'pixels' })).toThrow(
      '/x/t10k-images-idx3-ubyte.gz: expected 7840 bytes of pixels for uint8 [10,28,28], found 1234 (the file is truncated)',
    );
  });

  it('names the file when the gzip stream is cut short', async () => {
    const shipped = await readFile(new URL('../../data/fashion-mnist/t10k-images-idx3-ubyte.gz', import.meta.url));
    expect(() => parseIdx(shipped.subarray(0, 5000), 'cut.gz')).toThrow(/^cut\.gz: gzip stream is truncated or corrupt/);
  });

  it('rejects a bad magic number, an unknown type and a wrong shape', () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'm')).toThrow('m: not an IDX file');
    expect(() => parseIdx(Uint8Array.from([0, 0, 7, 1, 0, 0, 0, 0]), 'u')).toThrow('u: unknown IDX element type 0x07');
    const labels = encodeIdx({ dtype: 'uint8', dims: [4], data: new Uint8Array(4) });
    expect(() => parseIdx(labels, 'l', { rank: 3 })).toThrow('l: expected an IDX array of rank 3, found rank 1');
    expect(() => parseIdx(labels, 'l', { dtype: 'int32' })).toThrow('l: expected IDX element type int32, found uint8');
    const images = encodeIdx({ dtype: 'uint8', dims: [1, 2, 3], data: new Uint8Array(6) });
    expect(() => parseIdx(images, 'i', { innerDims: [28, 28] })).toThrow('i: expected items of shape [28,28], found [2,3]');
  });

  it('rejects trailing bytes', () => {
    const bytes = encodeIdx({ dtype: 'uint8', dims: [2], data: new Uint8Array(2) });
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => parseIdx(longer, 't')).toThrow('t: expected 2 bytes of data for uint8 [2], found 3 (the file has trailing bytes)');
  });

  it('names a missing file', async () => {
    await expect(readIdxFile('/nonexistent/file.idx')).rejects.toThrow('/nonexistent/file.idx: cannot read IDX file');
  });
});
