import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeImageGrid } from './image-grid.js';

async function readPng(path: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  // The channel count stored in the PNG; sharp decodes grey PNGs to RGB unless one channel is extracted.
  const { channels } = await sharp(path).metadata();
  const image = channels === 1 ? sharp(path).extractChannel(0) : sharp(path);
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: channels ?? 0 };
}

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'grid-'));
});

describe('writeImageGrid', () => {
  it('interleaves groups line by line and maps [-1,1] to 0..255', async () => {
    // Two groups of 3 grey 2×2 images; image i of group g has the constant value v(g,i).
    const value = (g: number, i: number) => [-1, 0, 1][i] * (g === 0 ? 1 : -1);
    const group = (g: number) =>
      tf.tidy(() => tf.stack([0, 1, 2].map((i) => tf.fill([2, 2, 1], value(g, i))))) as tf.Tensor4D;
    const originals = group(0);
    const reconstructions = group(1);
    const before = tf.memory().numTensors;
    const path = join(dir, 'grid.png');
    const info = await writeImageGrid(path, [originals, reconstructions], { columns: 2, padding: 1, background: 50 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([originals, reconstructions]);

    // 2 columns → 2 chunks × 2 groups = 4 lines; width = 2·(2+1)+1 = 7, height = 4·(2+1)+1 = 13.
    expect(info).toMatchObject({ width: 7, height: 13, channels: 1 });
    const png = await readPng(path);
    expect([png.width, png.height, png.channels]).toEqual([7, 13, 1]);
    const at = (x: number, y: number) => png.data[y * png.width + x];
    const byte = (v: number) => Math.round((v + 1) * 127.5);
    const lineTop = (line: number) => 1 + line * 3;
    const colLeft = (col: number) => 1 + col * 3;
    expect(at(colLeft(0), lineTop(0))).toBe(byte(value(0, 0))); // original 0
    expect(at(colLeft(1) + 1, lineTop(0) + 1)).toBe(byte(value(0, 1))); // original 1
    expect(at(colLeft(0), lineTop(1))).toBe(byte(value(1, 0))); // reconstruction 0 below original 0
    expect(at(colLeft(1), lineTop(1))).toBe(byte(value(1, 1)));
    expect(at(colLeft(0), lineTop(2))).toBe(byte(value(0, 2))); // original 2 starts the second chunk
    expect(at(colLeft(0), lineTop(3))).toBe(byte(value(1, 2)));
    expect(at(colLeft(1), lineTop(2))).toBe(50); // no fourth image: background
    expect(at(0, 0)).toBe(50);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes RGB from plain arrays, clips out-of-range values and scales by nearest neighbour', async () => {
    const data = Float32Array.from([-1, 0.5, 2, /* pixel 2 */ 1, -3, 0]); // one 1×2 RGB image
    const path = join(dir, 'rgb.png');
    await writeImageGrid(path, { data, shape: [1, 1, 2, 3] }, { padding: 0, scale: 3 });
    const png = await readPng(path);
    expect([png.width, png.height, png.channels]).toEqual([6, 3, 3]);
    const px = (x: number, y: number) => Array.from(png.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([0, 191, 255]);
    expect(px(2, 2)).toEqual([0, 191, 255]);
    expect(px(3, 0)).toEqual([255, 0, 128]);
    expect(px(5, 2)).toEqual([255, 0, 128]);
  });

  it('rejects groups of different shapes and bad options, naming the file', async () => {
    const a = { data: new Float32Array(4), shape: [1, 2, 2, 1] as [number, number, number, number] };
    const b = { data: new Float32Array(8), shape: [2, 2, 2, 1] as [number, number, number, number] };
    const path = join(dir, 'bad.png');
    await expect(writeImageGrid(path, [a, b])).rejects.toThrow(`${path}: group 1 has shape [2,2,2,1], group 0 has [1,2,2,1]`);
    await expect(writeImageGrid(path, a, { scale: 0 })).rejects.toThrow(`${path}: scale must be an integer ≥ 1, got 0`);
    const two = { data: new Float32Array(8), shape: [1, 2, 2, 2] as [number, number, number, number] };
    await expect(writeImageGrid(path, two)).rejects.toThrow(`${path}: images must have 1 or 3 channels, found 2`);
  });
});
