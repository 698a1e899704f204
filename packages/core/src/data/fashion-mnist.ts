import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../contracts/services.js';
import { downloadVerified, fashionMnistDigests, type FetchLike } from './download.js';
import {
  FASHION_MNIST_BASE_URL,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SYSTEM_DIR,
  type FashionMnistFile,
} from './fashion-mnist-files.js';
import { readIdxFile } from './idx.js';
import { InMemoryImageDataset } from './in-memory-dataset.js';
import { selectSplit, type SplitName, type SplitSelection } from './select-split.js';

/** Folder of the Fashion-MNIST test split shipped inside `@ifsq/core` (`packages/core/data/fashion-mnist`). */
export const SHIPPED_FASHION_MNIST_DIR = fileURLToPath(new URL('../../data/fashion-mnist/', import.meta.url));

/** Default download cache: `~/.cache/ifsq/fashion-mnist`. */
export function defaultFashionMnistCacheDir(): string {
  return join(homedir(), '.cache', 'ifsq', 'fashion-mnist');
}

/** Where to look for (and whether to download) the Fashion-MNIST files. */
export interface FashionMnistLocation {
  /** Folder checked first. */
  dir?: string;
  /** System folder checked second. @default "/usr/share/datasets/fashion-mnist" */
  systemDir?: string;
  /** Cache folder checked third, and the download destination. @default "~/.cache/ifsq/fashion-mnist" */
  cacheDir?: string;
  /** Download missing files from the official address into `cacheDir` (checksums verified). @default false */
  download?: boolean;
  /** Base address of the downloads. @default "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" */
  baseUrl?: string;
  /** Fetch function used for downloads. @default globalThis.fetch */
  fetch?: FetchLike;
  /** Receives the warning when the training split falls back to the shipped test split. */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** Where a split's files were found. */
export interface FashionMnistFiles {
  /** Path of the image file. */
  images: string;
  /** Path of the label file. */
  labels: string;
  /** The split the files hold (a `train` request may be served by `test` files; see `fallback`). */
  split: 'train' | 'test';
  /** `dir`, `system`, `cache`, `download` or `shipped`. */
  source: 'dir' | 'system' | 'cache' | 'download' | 'shipped';
  /** True when the training split was asked for but only the shipped test split was found. */
  fallback: boolean;
}

/** Path of `file` in `dir`, gzip or raw (`name` without `.gz`), or undefined when absent. */
function findFile(dir: string, file: FashionMnistFile): string | undefined {
  for (const name of [file.name, file.name.replace(/\.gz$/, '')]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Find the files of a split: the `dir` option, the system folder, the cache, then (only with `download: true`) a
 * verified download into the cache. The test split is also shipped in the repository, so it is always found; the
 * training split falls back to the shipped test split with a warning.
 */
export async function locateFashionMnist(
  split: 'train' | 'test',
  location: FashionMnistLocation = {},
): Promise<FashionMnistFiles> {
  const files = FASHION_MNIST_FILES[split];
  const cacheDir = location.cacheDir ?? defaultFashionMnistCacheDir();
  const candidates: Array<{ dir: string | undefined; source: FashionMnistFiles['source'] }> = [
    { dir: location.dir, source: 'dir' },
    { dir: location.systemDir ?? FASHION_MNIST_SYSTEM_DIR, source: 'system' },
    { dir: cacheDir, source: 'cache' },
  ];
  const searched: string[] = [];
  for (const { dir, source } of candidates) {
    if (dir === undefined) continue;
    searched.push(dir);
    const images = findFile(dir, files.images);
    const labels = findFile(dir, files.labels);
    if (images && labels) return { images, labels, split, source, fallback: false };
    if (source === 'dir') {
      location.logger?.warn(
        `Fashion-MNIST ${split} files (${files.images.name}, ${files.labels.name}) not found in ${dir}; looking further`,
        { dir },
      );
    }
  }
  if (location.download) {
    const baseUrl = location.baseUrl ?? FASHION_MNIST_BASE_URL;
    for (const file of [files.images, files.labels]) {
      if (findFile(cacheDir, file)) continue;
      const url = new URL(file.name, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
      location.logger?.info(`downloading ${url}`, { dest: cacheDir });
      await downloadVerified({
        url,
        dest: join(cacheDir, file.name),
        name: file.name,
        expected: fashionMnistDigests(file),
        fetch: location.fetch,
      });
    }
    return {
      images: join(cacheDir, files.images.name),
      labels: join(cacheDir, files.labels.name),
      split,
      source: 'download',
      fallback: false,
    };
  }
  const shipped = FASHION_MNIST_FILES.test;
  const images = join(SHIPPED_FASHION_MNIST_DIR, shipped.images.name);
  const labels = join(SHIPPED_FASHION_MNIST_DIR, shipped.labels.name);
  if (split === 'train') {
    location.logger?.warn(
      `Fashion-MNIST training split not found (looked in ${searched.join(', ')}); falling back to the shipped ` +
        `10k test split. Hold out a validation part (option \`validation\`) to evaluate on images never trained on, ` +
        `install the Debian package dataset-fashion-mnist, or set \`download: true\`.`,
      { searched },
    );
  }
  return { images, labels, split: 'test', source: 'shipped', fallback: split === 'train' };
}

/** Raw Fashion-MNIST arrays. */
export interface FashionMnistArrays {
  /** uint8 pixels `[N,28,28]`. */
  pixels: Uint8Array;
  /** Labels 0..9. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

/**
 * Read and check a pair of Fashion-MNIST IDX files (uint8 images `[N,28,28]`, uint8 labels `[N]` in 0..9, equal
 * counts). Errors name the file and what was wrong.
 */
export async function readFashionMnistFiles(imagesPath: string, labelsPath: string): Promise<FashionMnistArrays> {
  const [images, labels] = await Promise.all([
    readIdxFile(imagesPath, { dtype: 'uint8', rank: 3, innerDims: [28, 28], what: 'pixels' }),
    readIdxFile(labelsPath, { dtype: 'uint8', rank: 1, what: 'labels' }),
  ]);
  if (images.dims[0] !== labels.dims[0]) {
    throw new Error(
      `${labelsPath}: holds ${labels.dims[0]} labels but ${imagesPath} holds ${images.dims[0]} images`,
    );
  }
  const out = Int32Array.from(labels.data);
  const bad = out.findIndex((v) => v < 0 || v >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) throw new Error(`${labelsPath}: label ${out[bad]} at index ${bad} is outside 0..9`);
  return { pixels: images.data as Uint8Array, labels: out, count: out.length };
}

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions extends FashionMnistLocation, SplitSelection {
  /**
   * `train` (the 60k training set minus the validation part), `validation` (the held-out part of the training
   * set) or `test` (the 10k test set).
   * @default "train"
   */
  split?: SplitName;
  /** Side of the square images; 28 keeps them as stored, larger sizes pad with background (−1). @default 32 */
  size?: number;
  /** Use only the first `limit` images of the file (before the validation split). */
  limit?: number;
}

/**
 * Load Fashion-MNIST into memory as a {@link InMemoryImageDataset} of `[size,size,1]` images in [-1,1].
 * See {@link locateFashionMnist} for where files are looked for.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<InMemoryImageDataset> {
  const split = options.split ?? 'train';
  const size = options.size ?? 32;
  if (!Number.isInteger(size) || size < 28) {
    throw new Error(`fashion-mnist: size must be an integer ≥ 28 (images are padded, not resized), got ${size}`);
  }
  const files = await locateFashionMnist(split === 'test' ? 'test' : 'train', options);
  const arrays = await readFashionMnistFiles(files.images, files.labels);
  const count = options.limit === undefined ? arrays.count : Math.min(arrays.count, options.limit);
  if (!Number.isInteger(count) || count <= 0) {
    throw new Error(`fashion-mnist: limit must be a positive integer, got ${options.limit}`);
  }
  const pixels = padImages(arrays.pixels, count, 28, size);
  const fileSplit = files.fallback ? 'test-as-train' : files.split;
  const full = new InMemoryImageDataset({
    name: `fashion-mnist/${fileSplit}`,
    pixels,
    labels: arrays.labels.slice(0, count),
    imageShape: [size, size, 1],
    numClasses: FASHION_MNIST_CLASSES.length,
    classNames: FASHION_MNIST_CLASSES,
  });
  return selectSplit(full, split, options);
}

/** Copy `count` single-channel `from×from` images into `to×to` frames of zeros (background), centred. */
function padImages(source: Uint8Array, count: number, from: number, to: number): Uint8Array {
  if (to === from) return source.slice(0, count * from * from);
  const out = new Uint8Array(count * to * to);
  const offset = Math.floor((to - from) / 2);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < from; y++) {
      const src = n * from * from + y * from;
      out.set(source.subarray(src, src + from), n * to * to + (y + offset) * to + offset);
    }
  }
  return out;
}
