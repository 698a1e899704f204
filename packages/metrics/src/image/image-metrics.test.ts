import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { psnr } from './psnr.js';
import { gaussianWindow, ssim } from './ssim.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Spec §11.7 test images (16×16). */
function specImages(): { a: number[][]; b: number[][] } {
  const a: number[][] = [];
  const b: number[][] = [];
  for (let i = 0; i < 16; i++) {
    a.push([]);
    b.push([]);
    for (let j = 0; j < 16; j++) {
      const v = ((16 * i + j) % 7) / 6;
      a[i].push(v);
      b[i].push(Math.min(1, Math.max(0, 0.8 * v + 0.1 + 0.05 * Math.cos(i + 2 * j))));
    }
  }
  return { a, b };
}

/** Stack HxW planes into one NHWC image with those planes as channels. */
function nhwc(planes: number[][][]): tf.Tensor4D {
  const h = planes[0].length, w = planes[0][0].length;
  const data: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (const p of planes) data.push(p[i][j]);
  return tf.tensor4d(data, [1, h, w, planes.length], 'float32');
}

describe('psnr (spec §11.5)', () => {
  it('gives 20 dB for a constant error of 0.1', () => {
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const y = tf.fill([1, 4, 4, 3], 0.1) as tf.Tensor4D;
    expect(psnr(x, y, { dataRange: 1 })[0]).toBeCloseTo(20, 5);
    tf.dispose([x, y]);
  });

  it('gives 22.833012 dB for a single 0.5 error among 48 values', () => {
    const x = { shape: [1, 4, 4, 3], dataSync: () => new Float64Array(48) };
    const yd = new Float64Array(48);
    yd[17] = 0.5;
    expect(psnr(x, { shape: [1, 4, 4, 3], dataSync: () => yd }, { dataRange: 1 })[0]).toBeCloseTo(22.833012, 6);
  });

  it('returns +Infinity per identical image and scales with the data range', () => {
    const x = { shape: [2, 1, 1, 1], dataSync: () => [0, 0] };
    const y = { shape: [2, 1, 1, 1], dataSync: () => [0, 0.2] };
    const v = psnr(x, y, { dataRange: 2 });
    expect(v[0]).toBe(Number.POSITIVE_INFINITY);
    expect(v[1]).toBeCloseTo(10 * Math.log10(4 / 0.04), 12);
  });

  it('rejects a missing data range and mismatched shapes', () => {
    const x = { shape: [1, 1, 1, 1], dataSync: () => [0] };
    expect(() => psnr(x, x, { dataRange: 0 })).toThrow(/dataRange must be a positive number/);
    expect(() => psnr(x, { shape: [1, 1, 1, 2], dataSync: () => [0, 0] }, { dataRange: 1 })).toThrow(/shape/);
  });
});

describe('ssim (spec §11.7)', () => {
  const { a, b } = specImages();
  const clampA = a.map((r) => r.map((v) => Math.min(1, v + 0.05)));

  it('builds the spec test images', () => {
    expect(b[0].slice(0, 4).map((v) => +v.toFixed(6))).toEqual([0.15, 0.212526, 0.333984, 0.548009]);
  });

  it('gives 0.969164 with the skimage default variant', () => {
    const before = tf.memory().numTensors;
    const x = nhwc([a]), y = nhwc([b]);
    expect(ssim(x, y, { variant: 'skimage', dataRange: 1 })[0]).toBeCloseTo(0.969164, 6);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives 0.969101 with the Gaussian 11/1.5 variant', () => {
    const x = nhwc([a]), y = nhwc([b]);
    expect(ssim(x, y, { variant: 'gaussian', dataRange: 1 })[0]).toBeCloseTo(0.969101, 6);
    tf.dispose([x, y]);
  });

  it('gives 0.977849 on the 3-channel image as the mean over channels', () => {
    const x = nhwc([a, b, a]), y = nhwc([b, a, clampA]);
    expect(ssim(x, y, { dataRange: 1 })[0]).toBeCloseTo(0.977849, 6);
    tf.dispose([x, y]);
  });

  it('gives exactly 1 for identical images in both variants', () => {
    const x = nhwc([a]);
    expect(ssim(x, x, { variant: 'skimage', dataRange: 1 })[0]).toBeCloseTo(1, 12);
    expect(ssim(x, x, { variant: 'gaussian', dataRange: 1 })[0]).toBeCloseTo(1, 12);
    x.dispose();
  });

  it('has the spec 11-tap Gaussian window', () => {
    const expected = [0.001028, 0.007599, 0.036001, 0.109361, 0.213006, 0.266012, 0.213006, 0.109361, 0.036001, 0.007599, 0.001028];
    Array.from(gaussianWindow(11, 1.5)).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('returns one value per image', () => {
    const one = specImages();
    const data: number[] = [];
    for (const img of [one.a, one.b]) for (const row of img) for (const v of row) data.push(v);
    const x = { shape: [2, 16, 16, 1], dataSync: () => data };
    const v = ssim(x, x, { dataRange: 1 });
    expect(v.length).toBe(2);
  });
});
