import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/data/fashion-mnist-test.json' with { type: 'json' };
import { FASHION_MNIST_FILES } from './fashion-mnist-files.js';
import { loadFashionMnist, locateFashionMnist, readFashionMnistFiles, SHIPPED_FASHION_MNIST_DIR } from './fashion-mnist.js';
import { hasValidation } from './split.js';

const shippedImages = join(SHIPPED_FASHION_MNIST_DIR, FASHION_MNIST_FILES.test.images.name);
const shippedLabels = join(SHIPPED_FASHION_MNIST_DIR, FASHION_MNIST_FILES.test.labels.name);

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (m: string) => warnings.push(m), info: () => undefined } };
}

let empty: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  empty = await mkdtemp(join(tmpdir(), 'fm-none-'));
});

describe('shipped Fashion-MNIST test split', () => {
  it('holds 10000 images of 28×28 whose labels and pixels match the Python reading', async () => {
    const arrays = await readFashionMnistFiles(shippedImages, shippedLabels);
    expect(arrays.count).toBe(fixture.count);
    expect(arrays.pixels.length).toBe(10000 * 28 * 28);
    expect(Array.from(arrays.labels.subarray(0, 10))).toEqual(fixture.firstLabels);
    expect(arrays.labels[0]).toBe(9);
    expect(arrays.labels[9999]).toBe(fixture.lastLabel);
    expect(arrays.labels.every((l) => l >= 0 && l <= 9)).toBe(true);
    const counts = Array.from({ length: 10 }, (_, k) => arrays.labels.filter((l) => l === k).length);
    expect(counts).toEqual(fixture.labelCounts);
    expect(arrays.pixels.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(fixture.image0Sum);
    expect(Array.from(arrays.pixels.subarray(14 * 28, 15 * 28))).toEqual(fixture.image0Row14);
    expect(arrays.pixels.subarray(9999 * 784).reduce((a, b) => a + b, 0)).toBe(fixture.image9999Sum);
  });

  it('reports a truncated image file with its path and the byte counts', async () => {
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const dir = await mkdtemp(join(tmpdir(), 'fm-trunc-'));
    const raw = gunzipSync(await readFile(shippedImages));
    const path = join(dir, 't10k-images-idx3-ubyte.gz');
    await writeFile(path, gzipSync(raw.subarray(0, 16 + 1234)));
    await expect(readFashionMnistFiles(path, shippedLabels)).rejects.toThrow(
      `${path}: expected 7840000 bytes of pixels for uint8 [10000,28,28], found 1234 (the file is truncated)`,
    );
  });

  it('reports label files whose count differs from the image file', async () => {
    const { encodeIdx } = await import('./idx.js');
    const dir = await mkdtemp(join(tmpdir(), 'fm-count-'));
    const labels = join(dir, 'labels.idx');
    await writeFile(labels, encodeIdx({ dtype: 'uint8', dims: [3], data: Uint8Array.from([0, 1, 2]) }));
    await expect(readFashionMnistFiles(shippedImages, labels)).rejects.toThrow(
      `${labels}: holds 3 labels but ${shippedImages} holds 10000 images`,
    );
  });
});

describe('locating Fashion-MNIST', () => {
  it('prefers the dir option over the system folder and the cache', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fm-dir-'));
    for (const f of [shippedImages, shippedLabels]) await copyFile(f, join(dir, f.split('/').pop() as string));
    const files = await locateFashionMnist('test', { dir, systemDir: empty, cacheDir: empty });
    expect(files.source).toBe('dir');
    expect(files.images).toBe(join(dir, 't10k-images-idx3-ubyte.gz'));
  });

  it('warns when the dir option lacks the files, then keeps looking', async () => {
    const { warnings, logger } = recordingLogger();
    const files = await locateFashionMnist('test', { dir: empty, systemDir: empty, cacheDir: empty, logger });
    expect(files.source).toBe('shipped');
    expect(warnings).toEqual([
      `Fashion-MNIST test files (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) not found in ${empty}; looking further`,
    ]);
  });

  it('serves the test split from the shipped copy when nothing else is installed', async () => {
    const { warnings, logger } = recordingLogger();
    const files = await locateFashionMnist('test', { systemDir: empty, cacheDir: empty, logger });
    expect(files).toMatchObject({ source: 'shipped', split: 'test', fallback: false });
    expect(warnings).toEqual([]);
  });

  it('falls back to the shipped test split with a warning when the training split is missing', async () => {
    const { warnings, logger } = recordingLogger();
    const files = await locateFashionMnist('train', { systemDir: empty, cacheDir: empty, logger });
    expect(files).toMatchObject({ source: 'shipped', split: 'test', fallback: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Fashion-MNIST training split not found');
    expect(warnings[0]).toContain(empty);
  });
});

describe('loading Fashion-MNIST', () => {
  it('pads to 32×32 with background −1 and keeps the pixels centred', async () => {
    const ds = await loadFashionMnist({ split: 'test', limit: 5, systemDir: empty, cacheDir: empty });
    expect(ds.size).toBe(5);
    expect(ds.imageShape).toEqual([32, 32, 1]);
    expect(ds.numClasses).toBe(10);
    const image = ds.imageAt(0);
    expect(image[0]).toBe(-1);
    expect(image[31 * 32 + 31]).toBe(-1);
    // Row 14 of the 28×28 image lands on row 16, columns 2..29.
    const row = Array.from(image.subarray(16 * 32 + 2, 16 * 32 + 30));
    expect(row).toEqual(fixture.image0Row14.map((v: number) => v / 127.5 - 1).map((v: number) => Math.fround(v)));
    expect(ds.labelAt(0)).toBe(9);
  });

  it('keeps 28×28 when size is 28 and rejects smaller sizes', async () => {
    const ds = await loadFashionMnist({ split: 'test', size: 28, limit: 2, systemDir: empty, cacheDir: empty });
    expect(ds.imageShape).toEqual([28, 28, 1]);
    expect(ds.imageAt(0).reduce((a, v) => a + Math.round((v + 1) * 127.5), 0)).toBe(fixture.image0Sum);
    await expect(loadFashionMnist({ split: 'test', size: 16 })).rejects.toThrow('size must be an integer ≥ 28');
  });

  it('splits the fallback training set into disjoint train and validation parts', async () => {
    const { warnings, logger } = recordingLogger();
    const common = { limit: 200, validation: 0.25, seed: 3, systemDir: empty, cacheDir: empty, logger };
    const train = await loadFashionMnist({ ...common, split: 'train' });
    const validation = await loadFashionMnist({ ...common, split: 'validation' });
    expect(warnings.length).toBe(2);
    expect(train.size).toBe(150);
    expect(validation.size).toBe(50);
    expect(train.name).toBe('fashion-mnist/test-as-train[train]');
    expect(hasValidation(train)).toBe(true);
    const fingerprint = (d: typeof train) => Array.from({ length: d.size }, (_, i) => d.pixelsAt(i).join(','));
    const v = fingerprint(validation);
    const t = new Set(fingerprint(train));
    expect(v.filter((x) => t.has(x))).toEqual([]);
    // The separately loaded validation split holds the same images as the train split's held-out part.
    if (!hasValidation(train)) throw new Error('train split should carry its validation part');
    expect(fingerprint(train.validation as typeof train)).toEqual(v);
  });

  it('produces batches without leaking tensors', async () => {
    const ds = await loadFashionMnist({ split: 'test', limit: 40, systemDir: empty, cacheDir: empty });
    const before = tf.memory().numTensors;
    for (const batch of ds.batches({ batchSize: 16, seed: 1 })) {
      expect(batch.images.dtype).toBe('float32');
      expect(batch.labels.dtype).toBe('int32');
      const [min, max] = [batch.images.min(), batch.images.max()];
      expect(min.dataSync()[0]).toBeGreaterThanOrEqual(-1);
      expect(max.dataSync()[0]).toBeLessThanOrEqual(1);
      tf.dispose([min, max, batch.images, batch.labels]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
