import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../io/atomic.js';

/** Images of one grid row group, values in [-1,1]: a `[N,H,W,C]` tensor or its data with the shape. */
export type GridImages = tf.Tensor | { data: Float32Array; shape: [number, number, number, number] };

/** Options of {@link writeImageGrid}. */
export interface ImageGridOptions {
  /** Images per grid line. @default the number of images in the first group */
  columns?: number;
  /** Pixels between images and around the border (before scaling). @default 2 */
  padding?: number;
  /** Integer nearest-neighbour magnification. @default 1 */
  scale?: number;
  /** Grey level (0..255) of the padding. @default 255 */
  background?: number;
}

/** Size of the written grid. */
export interface ImageGridInfo {
  /** Absolute or given path of the PNG. */
  path: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
}

/**
 * Lay out groups of images (e.g. originals and their reconstructions) as a PNG grid and write it atomically.
 * Groups are interleaved line by line: with `columns = 8`, line 1 shows images 0–7 of group 1, line 2 images 0–7
 * of group 2, then images 8–15 of each group, and so on, so each original sits above its reconstruction. Values
 * are clipped to [-1,1] and mapped to 0..255. Tensors are read, not disposed.
 *
 * @param path - Destination `.png` file.
 * @param groups - One or more groups of equal shape `[N,H,W,C]` with C = 1 or 3 (a single group may be passed alone).
 */
export async function writeImageGrid(
  path: string,
  groups: GridImages | GridImages[],
  options: ImageGridOptions = {},
): Promise<ImageGridInfo> {
  const list = Array.isArray(groups) ? groups : [groups];
  if (list.length === 0) throw new Error(`${path}: writeImageGrid needs at least one group of images`);
  const arrays = list.map((g, i) => toArray(g, `${path}: group ${i}`));
  const [n, h, w, c] = arrays[0].shape;
  arrays.forEach((a, i) => {
    if (a.shape.join(',') !== arrays[0].shape.join(',')) {
      throw new Error(`${path}: group ${i} has shape [${a.shape}], group 0 has [${arrays[0].shape}]`);
    }
  });
  if (c !== 1 && c !== 3) throw new Error(`${path}: images must have 1 or 3 channels, found ${c}`);
  const columns = options.columns ?? n;
  const padding = options.padding ?? 2;
  const scale = options.scale ?? 1;
  const background = options.background ?? 255;
  for (const [field, value, min] of [
    ['columns', columns, 1],
    ['padding', padding, 0],
    ['scale', scale, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new Error(`${path}: ${field} must be an integer ≥ ${min}, got ${value}`);
  }
  const chunks = Math.ceil(n / columns);
  const lines = chunks * arrays.length;
  const width = (columns * (w + padding) + padding) * scale;
  const height = (lines * (h + padding) + padding) * scale;
  const out = new Uint8Array(width * height * c).fill(Math.max(0, Math.min(255, Math.round(background))));

  for (let chunk = 0; chunk < chunks; chunk++) {
    arrays.forEach((array, g) => {
      const line = chunk * arrays.length + g;
      for (let col = 0; col < columns; col++) {
        const image = chunk * columns + col;
        if (image >= n) break;
        const top = padding + line * (h + padding);
        const left = padding + col * (w + padding);
        paste(array.data, image * h * w * c, out, { h, w, c, top, left, width, scale });
      }
    });
  }

  const { default: sharp } = await import('sharp');
  const raw = sharp(out, { raw: { width, height, channels: c } });
  // Without an explicit colour space sharp would write a single channel as RGB.
  const png = await (c === 1 ? raw.toColourspace('b-w') : raw).png().toBuffer();
  await writeFileAtomic(path, new Uint8Array(png.buffer, png.byteOffset, png.byteLength));
  return { path, width, height, channels: c };
}

function toArray(group: GridImages, label: string): { data: Float32Array; shape: [number, number, number, number] } {
  if ('dataSync' in group) {
    if (group.rank !== 4) throw new Error(`${label}: expected a [N,H,W,C] tensor, found shape [${group.shape}]`);
    const data = group.dtype === 'float32' ? (group.dataSync() as Float32Array) : Float32Array.from(group.dataSync());
    return { data, shape: group.shape as [number, number, number, number] };
  }
  const count = group.shape.reduce((a, b) => a * b, 1);
  if (group.shape.length !== 4 || group.data.length !== count) {
    throw new Error(`${label}: data of ${group.data.length} values does not fit shape [${group.shape}]`);
  }
  return group;
}

function paste(
  src: Float32Array,
  offset: number,
  out: Uint8Array,
  at: { h: number; w: number; c: number; top: number; left: number; width: number; scale: number },
): void {
  const { h, w, c, top, left, width, scale } = at;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const v = src[offset + (y * w + x) * c + k];
        const byte = Number.isNaN(v) ? 0 : Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
        for (let dy = 0; dy < scale; dy++) {
          const row = ((top + y) * scale + dy) * width;
          for (let dx = 0; dx < scale; dx++) out[(row + (left + x) * scale + dx) * c + k] = byte;
        }
      }
    }
  }
}
