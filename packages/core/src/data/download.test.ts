import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest, downloadVerified, fashionMnistDigests, verifyDigests, type FetchLike } from './download.js';
import { FASHION_MNIST_FILES } from './fashion-mnist-files.js';
import { locateFashionMnist, readFashionMnistFiles, SHIPPED_FASHION_MNIST_DIR } from './fashion-mnist.js';

const test = FASHION_MNIST_FILES.test;

/** A local HTTP server serving the shipped files under /good/ and a corrupted image file under /bad/. */
let server: Server;
let base: string;
const requested: string[] = [];

beforeAll(async () => {
  const images = await readFile(join(SHIPPED_FASHION_MNIST_DIR, test.images.name));
  const labels = await readFile(join(SHIPPED_FASHION_MNIST_DIR, test.labels.name));
  const corrupted = Buffer.from(images);
  corrupted[1000] ^= 0xff;
  const routes: Record<string, Buffer> = {
    [`/good/${test.images.name}`]: images,
    [`/good/${test.labels.name}`]: labels,
    [`/bad/${test.images.name}`]: corrupted,
    [`/bad/${test.labels.name}`]: labels,
  };
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('checksums', () => {
  it('the recorded SHA-256 values match the shipped files', async () => {
    for (const file of [test.images, test.labels]) {
      const bytes = await readFile(join(SHIPPED_FASHION_MNIST_DIR, file.name));
      expect(digest('sha256', bytes)).toBe(file.sha256);
    }
  });

  it('accepts a file whose decompressed contents match even when its gzip bytes differ', async () => {
    const { gzipSync, gunzipSync } = await import('node:zlib');
    const bytes = await readFile(join(SHIPPED_FASHION_MNIST_DIR, test.labels.name));
    const recompressed = gzipSync(gunzipSync(bytes), { level: 1 });
    expect(digest('sha256', recompressed)).not.toBe(test.labels.sha256);
    expect(() => verifyDigests(recompressed, test.labels.name, fashionMnistDigests(test.labels))).not.toThrow();
  });

  it('rejects bytes matching no digest, naming the file', () => {
    expect(() => verifyDigests(Uint8Array.from([1, 2, 3]), 'x.gz', { md5: 'aa', sha256: 'bb' })).toThrow(
      /^x\.gz: checksum mismatch \(got MD5 5289df737df57326fcdd22597afb1fac/,
    );
  });
});

describe('downloads', () => {
  it('downloads the test split from a local server into the cache and the files read back', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'fm-cache-'));
    const empty = await mkdtemp(join(tmpdir(), 'fm-empty-'));
    const files = await locateFashionMnist('test', {
      systemDir: empty,
      cacheDir,
      download: true,
      baseUrl: `${base}/good/`,
    });
    expect(files.source).toBe('download');
    expect(files.images).toBe(join(cacheDir, test.images.name));
    expect((await readdir(cacheDir)).sort()).toEqual([test.images.name, test.labels.name].sort());
    const arrays = await readFashionMnistFiles(files.images, files.labels);
    expect(arrays.count).toBe(10000);

    // A second lookup finds the cache and fetches nothing.
    const before = requested.length;
    const again = await locateFashionMnist('test', { systemDir: empty, cacheDir, download: true, baseUrl: `${base}/good/` });
    expect(again.source).toBe('cache');
    expect(requested.length).toBe(before);
  });

  it('rejects a corrupted download with a checksum error naming the file and leaves no file behind', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'fm-cache-'));
    const empty = await mkdtemp(join(tmpdir(), 'fm-empty-'));
    await expect(
      locateFashionMnist('test', { systemDir: empty, cacheDir, download: true, baseUrl: `${base}/bad/` }),
    ).rejects.toThrow(/^t10k-images-idx3-ubyte\.gz: checksum mismatch/);
    expect(existsSync(join(cacheDir, test.images.name))).toBe(false);
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('uses an injected fetch function and reports HTTP errors with the address', async () => {
    const seen: string[] = [];
    const fetch: FetchLike = async (url) => {
      seen.push(url);
      return { ok: false, status: 503, statusText: 'Service Unavailable', arrayBuffer: async () => new ArrayBuffer(0) };
    };
    const dest = join(await mkdtemp(join(tmpdir(), 'fm-')), 'f.gz');
    await expect(
      downloadVerified({ url: 'http://example.invalid/f.gz', dest, name: 'f.gz', expected: {}, fetch }),
    ).rejects.toThrow('f.gz: download from http://example.invalid/f.gz failed with HTTP 503 Service Unavailable');
    expect(seen).toEqual(['http://example.invalid/f.gz']);

    const slow: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    await expect(
      downloadVerified({ url: 'http://example.invalid/g.gz', dest, name: 'g.gz', expected: {}, fetch: slow, timeoutMs: 20 }),
    ).rejects.toThrow('g.gz: download from http://example.invalid/g.gz failed (aborted)');
    expect(existsSync(dest)).toBe(false);
  });
});
