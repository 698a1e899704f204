import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchOptions } from '../contracts/dataset.js';
import { InMemoryImageDataset } from './in-memory-dataset.js';
import { trainValidationSplit, validationCount } from './split.js';

/** N images of 2×3×C whose pixel (y,x,c) is 10·n + 3·y + x + c (small integers, so every value is identifiable). */
function numbered(n: number, channels = 1): InMemoryImageDataset {
  const per = 2 * 3 * channels;
  const pixels = new Uint8Array(n * per);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < channels; c++) pixels[i * per + (y * 3 + x) * channels + c] = (10 * i + 3 * y + x + c) % 256;
      }
    }
  }
  return new InMemoryImageDataset({
    name: 'numbered',
    pixels,
    labels: Int32Array.from({ length: n }, (_, i) => i),
    imageShape: [2, 3, channels],
    numClasses: n,
  });
}

/** Labels of every batch (labels equal image ids in {@link numbered}), disposing the tensors. */
function labelsOf(ds: InMemoryImageDataset, options: BatchOptions): number[][] {
  const out: number[][] = [];
  for (const batch of ds.batches(options)) {
    out.push(Array.from(batch.labels.dataSync()));
    tf.dispose([batch.images, batch.labels]);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('InMemoryImageDataset batches', () => {
  it('maps uint8 pixels to float32 in [-1,1] with shape [B,H,W,C] and int32 labels', () => {
    const ds = numbered(3);
    const [batch] = [...ds.batches({ batchSize: 3, seed: 0, shuffle: false })];
    expect(batch.images.shape).toEqual([3, 2, 3, 1]);
    expect(batch.images.dtype).toBe('float32');
    expect(batch.labels.dtype).toBe('int32');
    const values = batch.images.dataSync();
    expect(values[0]).toBe(-1); // pixel 0
    expect(values[6 + 4]).toBeCloseTo(14 / 127.5 - 1, 6); // image 1, y=1, x=1: 10 + 3 + 1
    tf.dispose([batch.images, batch.labels]);
  });

  it('shuffles identically for the same seed and epoch, differently across epochs and seeds', () => {
    const ds = numbered(50);
    const a = labelsOf(ds, { batchSize: 8, seed: 7, epoch: 0 });
    const b = labelsOf(ds, { batchSize: 8, seed: 7, epoch: 0 });
    const c = labelsOf(ds, { batchSize: 8, seed: 7, epoch: 1 });
    const d = labelsOf(ds, { batchSize: 8, seed: 8, epoch: 0 });
    expect(a).toEqual(b);
    expect(a.flat()).not.toEqual(c.flat());
    expect(a.flat()).not.toEqual(d.flat());
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.flat()).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('keeps the stored order without shuffle and drops or keeps the last partial batch', () => {
    const ds = numbered(10);
    expect(labelsOf(ds, { batchSize: 4, seed: 0, shuffle: false })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(labelsOf(ds, { batchSize: 4, seed: 0, shuffle: false, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(ds.numBatches(4)).toBe(3);
    expect(ds.numBatches(4, true)).toBe(2);
  });

  it('resumes at startBatch with exactly the batches the full epoch would have produced', () => {
    const ds = numbered(30);
    const options = { batchSize: 4, seed: 5, epoch: 2, horizontalFlip: true } as const;
    const collect = (startBatch: number) => {
      const out: number[][] = [];
      for (const batch of ds.batches({ ...options, startBatch })) {
        out.push(Array.from(batch.images.dataSync()));
        tf.dispose([batch.images, batch.labels]);
      }
      return out;
    };
    expect(collect(3)).toEqual(collect(0).slice(3));
    expect(collect(8)).toEqual([]);
    expect(() => [...ds.batches({ ...options, startBatch: 9 })]).toThrow('startBatch must be an integer in [0, 8]');
  });

  it('flips about half the images left-right, reproducibly, leaving the others untouched', () => {
    const ds = numbered(200, 3);
    const options = { batchSize: 200, seed: 11, shuffle: false, horizontalFlip: true } as const;
    const [batch] = [...ds.batches(options)];
    const values = batch.images.dataSync();
    const { flips } = ds.epochPlan(options);
    let flipped = 0;
    for (let i = 0; i < 200; i++) {
      const original = ds.imageAt(i);
      const got = values.subarray(i * 18, (i + 1) * 18);
      const expected = new Float32Array(18);
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          const from = flips[i] ? 2 - x : x;
          for (let c = 0; c < 3; c++) expected[(y * 3 + x) * 3 + c] = original[(y * 3 + from) * 3 + c];
        }
      }
      expect(Array.from(got)).toEqual(Array.from(expected));
      flipped += flips[i];
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
    const [again] = [...ds.batches(options)];
    expect(Array.from(again.images.dataSync())).toEqual(Array.from(values));
    tf.dispose([batch.images, batch.labels, again.images, again.labels]);
  });

  it('creates exactly two tensors per batch and leaks none once they are disposed', () => {
    const ds = numbered(33);
    const before = tf.memory().numTensors;
    let batches = 0;
    for (const batch of ds.batches({ batchSize: 5, seed: 1, horizontalFlip: true })) {
      expect(tf.memory().numTensors).toBe(before + 2);
      tf.dispose([batch.images, batch.labels]);
      batches++;
    }
    expect(batches).toBe(7);
    // Breaking out early creates nothing more.
    for (const batch of ds.batches({ batchSize: 5, seed: 1 })) {
      tf.dispose([batch.images, batch.labels]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad batch size or pixel count', () => {
    expect(() => numbered(3).numBatches(0)).toThrow('numbered: batchSize must be a positive integer, got 0');
    expect(
      () => new InMemoryImageDataset({ name: 'x', pixels: new Uint8Array(5), labels: new Int32Array(1), imageShape: [2, 2, 1], numClasses: 1 }),
    ).toThrow('x: 1 labels need 4 pixels of shape [2,2,1], found 5');
  });
});

describe('subsets and splits', () => {
  it('a subset shows the chosen images in the given order, and subsets compose', () => {
    const ds = numbered(10);
    const sub = ds.subset([7, 2, 5], 'sub');
    expect(sub.size).toBe(3);
    expect(sub.name).toBe('sub');
    expect(labelsOf(sub, { batchSize: 10, seed: 0, shuffle: false })).toEqual([[7, 2, 5]]);
    expect(labelsOf(sub.subset([2, 0], 'subsub'), { batchSize: 10, seed: 0, shuffle: false })).toEqual([[5, 7]]);
    expect(() => sub.subset([3], 'bad')).toThrow('sub: index 3 is out of range [0, 3)');
  });

  it('trainValidationSplit gives disjoint parts that cover the dataset, reproducibly by seed', () => {
    const ds = numbered(100);
    const { train, validation } = trainValidationSplit(ds, { validation: 0.2, seed: 4 });
    expect(train.size).toBe(80);
    expect(validation.size).toBe(20);
    const t = labelsOf(train, { batchSize: 100, seed: 0, shuffle: false }).flat();
    const v = labelsOf(validation, { batchSize: 100, seed: 0, shuffle: false }).flat();
    expect(t.filter((x) => v.includes(x))).toEqual([]);
    expect([...t, ...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const again = trainValidationSplit(ds, { validation: 0.2, seed: 4 }).validation;
    expect(labelsOf(again, { batchSize: 100, seed: 0, shuffle: false }).flat()).toEqual(v);
    const other = trainValidationSplit(ds, { validation: 0.2, seed: 5 }).validation;
    expect(labelsOf(other, { batchSize: 100, seed: 0, shuffle: false }).flat()).not.toEqual(v);
    expect(v).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('validation counts: integers as counts, fractions of the size, errors when nothing is left', () => {
    expect(validationCount(0, 10)).toBe(0);
    expect(validationCount(3, 10)).toBe(3);
    expect(validationCount(0.25, 10)).toBe(3);
    expect(validationCount(0.001, 10)).toBe(1);
    expect(() => validationCount(10, 10, 'd')).toThrow('d: validation of 10 images leaves nothing to train on');
    expect(() => validationCount(2.5, 10, 'd')).toThrow('d: validation ≥ 1 must be a whole number of images, got 2.5');
    expect(() => validationCount(-1, 10, 'd')).toThrow('d: validation must be a count ≥ 1 or a fraction in (0,1), got -1');
  });
});
