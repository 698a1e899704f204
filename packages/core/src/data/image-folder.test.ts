import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { listImageFolder, loadImageFolder } from './image-folder.js';

/** Solid-colour PNG of the given size. */
async function solid(path: string, width: number, height: number, rgb: [number, number, number]): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toFile(path);
}

/**
 * A 6×4 PNG whose left third is black, middle third red, right third white: resizing the shorter side (4) to 4 and
 * centre-cropping to 4×4 must keep columns 1..4 (red in the middle, black/white only at the edges).
 */
async function stripes(path: string): Promise<void> {
  const width = 6;
  const height = 4;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = x < 2 ? [0, 0, 0] : x < 4 ? [255, 0, 0] : [255, 255, 255];
      data.set(rgb, (y * width + x) * 3);
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(path);
}

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'image-folder-'));
  await mkdir(join(root, 'zebra'));
  await mkdir(join(root, 'apple'));
  await mkdir(join(root, 'apple', 'nested-ignored'));
  await solid(join(root, 'apple', 'b.png'), 8, 8, [255, 0, 0]);
  await solid(join(root, 'apple', 'a.PNG'), 10, 6, [0, 255, 0]);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .jpeg({ quality: 100 })
    .toFile(join(root, 'zebra', 'c.jpg'));
  await stripes(join(root, 'zebra', 'd.png'));
  await writeFile(join(root, 'zebra', 'notes.txt'), 'ignored');
});

describe('image folders', () => {
  it('labels classes by sorted sub-folder name and lists image files in name order', async () => {
    const { classNames, entries } = await listImageFolder(root);
    expect(classNames).toEqual(['apple', 'zebra']);
    expect(entries.map((e) => [e.path.slice(root.length + 1), e.label])).toEqual([
      ['apple/a.PNG', 0],
      ['apple/b.png', 0],
      ['zebra/c.jpg', 1],
      ['zebra/d.png', 1],
    ]);
  });

  it('loads RGB images resized to size×size in [-1,1] with their labels', async () => {
    const ds = await loadImageFolder({ root, size: 4 });
    expect(ds.size).toBe(4);
    expect(ds.imageShape).toEqual([4, 4, 3]);
    expect(ds.numClasses).toBe(2);
    expect(ds.classNames).toEqual(['apple', 'zebra']);
    expect([0, 1, 2, 3].map((i) => ds.labelAt(i))).toEqual([0, 0, 1, 1]);
    const green = ds.imageAt(0);
    expect(Array.from(green.subarray(0, 3))).toEqual([-1, 1, -1]);
    const red = ds.imageAt(1);
    expect(Array.from(red.subarray(15 * 3, 16 * 3))).toEqual([1, -1, -1]);
    const blue = ds.pixelsAt(2);
    expect(Math.abs(blue[0] - 0)).toBeLessThanOrEqual(3);
    expect(Math.abs(blue[2] - 255)).toBeLessThanOrEqual(3);
  });

  it('crops the centre after resizing the shorter side', async () => {
    const ds = await loadImageFolder({ root, size: 4 });
    const pixels = ds.pixelsAt(3); // stripes: 6×4 → crop columns 1..4
    const row = Array.from({ length: 4 }, (_, x) => Array.from(pixels.subarray(x * 3, x * 3 + 3)));
    expect(row).toEqual([
      [0, 0, 0],
      [255, 0, 0],
      [255, 0, 0],
      [255, 255, 255],
    ]);
  });

  it('loads one grey channel with grayscale', async () => {
    const ds = await loadImageFolder({ root, size: 2, grayscale: true, limit: 2 });
    expect(ds.imageShape).toEqual([2, 2, 1]);
    expect(ds.size).toBe(2);
    // Green (0,255,0) in grey is well above black and below white.
    const g = ds.pixelsAt(0)[0];
    expect(g).toBeGreaterThan(100);
    expect(g).toBeLessThan(255);
  });

  it('splits into disjoint train and validation parts', async () => {
    const train = await loadImageFolder({ root, size: 2, validation: 1, seed: 0 });
    const validation = await loadImageFolder({ root, size: 2, validation: 1, seed: 0, split: 'validation' });
    expect(train.size).toBe(3);
    expect(validation.size).toBe(1);
  });

  it('names a corrupt image file in the error', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'image-folder-bad-'));
    await mkdir(join(bad, 'cls'));
    await solid(join(bad, 'cls', 'ok.png'), 4, 4, [1, 2, 3]);
    await writeFile(join(bad, 'cls', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
    await expect(loadImageFolder({ root: bad, size: 4 })).rejects.toThrow(
      `image-folder: cannot decode ${join(bad, 'cls', 'broken.png')}`,
    );
  });

  it('explains an empty root folder', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'image-folder-empty-'));
    await expect(loadImageFolder({ root: empty })).rejects.toThrow(`image-folder: ${empty} has no class sub-folders`);
  });
});
