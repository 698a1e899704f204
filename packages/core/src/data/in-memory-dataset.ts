import * as tf from '@tensorflow/tfjs';
import type { BatchOptions, Dataset, ImageBatch } from '../contracts/dataset.js';
import { SeededRng } from '../random/rng.js';

/** What an {@link InMemoryImageDataset} is built from. */
export interface InMemoryImageData {
  /** Human-readable name including the split (`fashion-mnist/test`). */
  name: string;
  /** Pixels of every image, uint8, `[N,H,W,C]` row-major; 0 maps to −1 and 255 to +1. */
  pixels: Uint8Array;
  /** Class label of every image (`N` entries). */
  labels: Int32Array;
  /** Image shape `[H,W,C]`. */
  imageShape: [number, number, number];
  /** Number of classes. */
  numClasses: number;
  /** Class names by label id, when known. */
  classNames?: readonly string[];
  /** Which images of `pixels` this dataset shows, in order (absent: all of them). */
  indices?: Int32Array;
}

/** Maps a uint8 pixel to [-1,1]. */
const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/**
 * A {@link Dataset} held in memory as uint8 pixels. Batches are built on demand as float32 tensors in [-1,1]
 * (`[B,H,W,C]`) with int32 labels (`[B]`); the caller disposes them. Shuffling and flips are drawn from
 * {@link SeededRng} streams named by `(seed, epoch)`, so every epoch has its own order, every run with the same seed
 * sees the same order, and `startBatch` resumes in the middle of an epoch exactly.
 */
export class InMemoryImageDataset implements Dataset {
  readonly name: string;
  readonly size: number;
  readonly imageShape: [number, number, number];
  readonly numClasses: number;
  /** Class names by label id, when known. */
  readonly classNames: readonly string[] | undefined;
  readonly #pixels: Uint8Array;
  readonly #labels: Int32Array;
  readonly #indices: Int32Array;

  /** Wrap pixels and labels; checks that their sizes agree. */
  constructor(data: InMemoryImageData) {
    const [h, w, c] = data.imageShape;
    const perImage = h * w * c;
    const total = data.labels.length;
    if (data.pixels.length !== total * perImage) {
      throw new Error(
        `${data.name}: ${total} labels need ${total * perImage} pixels of shape [${data.imageShape}], ` +
          `found ${data.pixels.length}`,
      );
    }
    const indices = data.indices ?? Int32Array.from({ length: total }, (_, i) => i);
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= total) {
        throw new Error(`${data.name}: index ${i} is out of range [0, ${total})`);
      }
    }
    this.name = data.name;
    this.imageShape = [h, w, c];
    this.numClasses = data.numClasses;
    this.classNames = data.classNames;
    this.#pixels = data.pixels;
    this.#labels = data.labels;
    this.#indices = indices;
    this.size = indices.length;
  }

  /** Number of batches one epoch yields (before `startBatch`). */
  numBatches(batchSize: number, dropLast = false): number {
    checkBatchSize(this.name, batchSize);
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /** Label of image `i` of this dataset. */
  labelAt(i: number): number {
    return this.#labels[this.#index(i)];
  }

  /** Image `i` of this dataset as float32 in [-1,1], `[H,W,C]` row-major. */
  imageAt(i: number): Float32Array {
    const per = this.#perImage();
    const src = this.#index(i) * per;
    const out = new Float32Array(per);
    for (let k = 0; k < per; k++) out[k] = TO_UNIT[this.#pixels[src + k]];
    return out;
  }

  /** Image `i` of this dataset as raw uint8 pixels `[H,W,C]` (a copy). */
  pixelsAt(i: number): Uint8Array {
    const per = this.#perImage();
    const src = this.#index(i) * per;
    return this.#pixels.slice(src, src + per);
  }

  /**
   * The order of one epoch: positions into this dataset, plus whether each position is flipped.
   * Batch `k` holds positions `k·B … k·B+B−1` of this order.
   */
  epochPlan(options: Pick<BatchOptions, 'seed' | 'epoch' | 'shuffle' | 'horizontalFlip'>): {
    order: Int32Array;
    flips: Uint8Array;
  } {
    const seed = options.seed;
    const epoch = options.epoch ?? 0;
    if (!Number.isFinite(seed)) throw new Error(`${this.name}: batches() needs a numeric seed, got ${seed}`);
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new Error(`${this.name}: epoch must be a non-negative integer, got ${epoch}`);
    }
    const order =
      options.shuffle ?? true
        ? new SeededRng(`${seed}/epoch-${epoch}/shuffle`).permutation(this.size)
        : Int32Array.from({ length: this.size }, (_, i) => i);
    const flips = new Uint8Array(this.size);
    if (options.horizontalFlip) {
      const rng = new SeededRng(`${seed}/epoch-${epoch}/flip`);
      for (let k = 0; k < this.size; k++) flips[k] = rng.next() < 0.5 ? 1 : 0;
    }
    return { order, flips };
  }

  *batches(options: BatchOptions): Iterable<ImageBatch> {
    const { batchSize } = options;
    const total = this.numBatches(batchSize, options.dropLast ?? false);
    const start = options.startBatch ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > total) {
      throw new Error(`${this.name}: startBatch must be an integer in [0, ${total}], got ${start}`);
    }
    const { order, flips } = this.epochPlan(options);
    const [h, w, c] = this.imageShape;
    const per = h * w * c;
    const row = w * c;
    for (let b = start; b < total; b++) {
      const first = b * batchSize;
      const count = Math.min(batchSize, this.size - first);
      const images = new Float32Array(count * per);
      const labels = new Int32Array(count);
      for (let j = 0; j < count; j++) {
        const position = first + j;
        const index = this.#indices[order[position]];
        labels[j] = this.#labels[index];
        const src = index * per;
        const dst = j * per;
        if (flips[position]) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const from = src + y * row + (w - 1 - x) * c;
              const to = dst + y * row + x * c;
              for (let k = 0; k < c; k++) images[to + k] = TO_UNIT[this.#pixels[from + k]];
            }
          }
        } else {
          for (let k = 0; k < per; k++) images[dst + k] = TO_UNIT[this.#pixels[src + k]];
        }
      }
      yield {
        images: tf.tensor4d(images, [count, h, w, c], 'float32'),
        labels: tf.tensor1d(labels, 'int32'),
      };
    }
  }

  subset(indices: ArrayLike<number>, name: string): InMemoryImageDataset {
    const mapped = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) mapped[k] = this.#index(indices[k]);
    return new InMemoryImageDataset({
      name,
      pixels: this.#pixels,
      labels: this.#labels,
      imageShape: this.imageShape,
      numClasses: this.numClasses,
      classNames: this.classNames,
      indices: mapped,
    });
  }

  #perImage(): number {
    const [h, w, c] = this.imageShape;
    return h * w * c;
  }

  #index(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new Error(`${this.name}: index ${i} is out of range [0, ${this.size})`);
    }
    return this.#indices[i];
  }
}

function checkBatchSize(name: string, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`${name}: batchSize must be a positive integer, got ${batchSize}`);
  }
}
