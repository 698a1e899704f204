import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InMemoryImageDataset } from './in-memory-dataset.js';
import { selectSplit, type SplitName, type SplitSelection } from './select-split.js';

/** File extensions read from an image folder (case-insensitive). */
export const IMAGE_FOLDER_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends SplitSelection {
  /** Root folder: one sub-folder per class, images inside (`<root>/<class>/*.{png,jpg,jpeg}`). */
  root: string;
  /** Side of the square images: the shorter side is resized to `size`, then the centre is cropped. @default 64 */
  size?: number;
  /** Load images as one grey channel instead of three RGB channels. @default false */
  grayscale?: boolean;
  /** Use only the first `limit` images (in class, then file-name order; before the validation split). */
  limit?: number;
  /** `train` (all minus validation), `validation` (the held-out part) or `all`. @default "train" */
  split?: Exclude<SplitName, 'test'>;
  /** How many images are decoded at once. @default 4 */
  concurrency?: number;
}

/** One image file of an image folder and its class id. */
export interface ImageFolderEntry {
  /** Absolute or root-relative path of the file. */
  path: string;
  /** Class id (index of the sub-folder in sorted order). */
  label: number;
}

/**
 * List the classes and image files of a folder: classes are the sub-folders in sorted order (their index is the
 * label), files are sorted by name within each class.
 */
export async function listImageFolder(root: string): Promise<{ classNames: string[]; entries: ImageFolderEntry[] }> {
  let dirents;
  try {
    dirents = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`image-folder: cannot read root folder ${root} (${reason})`);
  }
  const classNames = dirents
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classNames.length === 0) {
    throw new Error(`image-folder: ${root} has no class sub-folders (expected <root>/<class>/*.png|jpg|jpeg)`);
  }
  const entries: ImageFolderEntry[] = [];
  for (const [label, className] of classNames.entries()) {
    const files = (await readdir(join(root, className), { withFileTypes: true }))
      .filter((d) => d.isFile() && IMAGE_FOLDER_EXTENSIONS.some((ext) => d.name.toLowerCase().endsWith(ext)))
      .map((d) => d.name)
      .sort();
    for (const file of files) entries.push({ path: join(root, className, file), label });
  }
  if (entries.length === 0) {
    throw new Error(`image-folder: no .png, .jpg or .jpeg files in the class folders of ${root}`);
  }
  return { classNames, entries };
}

/**
 * Decode one image with sharp: resize its shorter side to `size`, crop the centre to `size×size`, drop alpha, and
 * return `size·size·channels` uint8 pixels.
 *
 * @throws Error naming the file when it cannot be decoded.
 */
export async function decodeImage(path: string, size: number, grayscale: boolean): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const channels = grayscale ? 1 : 3;
  try {
    let pipeline = sharp(path, { failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'cover', position: 'centre' })
      .removeAlpha();
    pipeline = grayscale ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size) {
      throw new Error(`decoded to ${info.width}×${info.height}, expected ${size}×${size}`);
    }
    return toChannels(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.channels, channels, size);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`image-folder: cannot decode ${path} (${reason.trim()})`);
  }
}

/** Convert decoded pixels to the wanted channel count (grey → RGB repeats; RGB → grey should not happen). */
function toChannels(data: Uint8Array, from: number, to: number, size: number): Uint8Array {
  if (from === to) return data;
  const pixels = size * size;
  const out = new Uint8Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < to; c++) out[p * to + c] = data[p * from + Math.min(c, from - 1)];
  }
  return out;
}

/**
 * Load an image folder into memory (every image decoded at creation) as an {@link InMemoryImageDataset} of
 * `[size,size,3]` (or `[size,size,1]` with `grayscale`) images in [-1,1].
 */
export async function loadImageFolder(options: ImageFolderOptions): Promise<InMemoryImageDataset> {
  const size = options.size ?? 64;
  if (!Number.isInteger(size) || size <= 0) throw new Error(`image-folder: size must be a positive integer, got ${size}`);
  const grayscale = options.grayscale ?? false;
  const channels = grayscale ? 1 : 3;
  const listing = await listImageFolder(options.root);
  const entries = options.limit === undefined ? listing.entries : listing.entries.slice(0, options.limit);
  if (entries.length === 0) throw new Error(`image-folder: limit must be a positive integer, got ${options.limit}`);
  const per = size * size * channels;
  const pixels = new Uint8Array(entries.length * per);
  const labels = Int32Array.from(entries, (e) => e.label);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const i = next++;
      pixels.set(await decodeImage(entries[i].path, size, grayscale), i * per);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  const full = new InMemoryImageDataset({
    name: `image-folder/${basename(options.root)}`,
    pixels,
    labels,
    imageShape: [size, size, channels],
    numClasses: listing.classNames.length,
    classNames: listing.classNames,
  });
  return selectSplit(full, options.split ?? 'train', options);
}
