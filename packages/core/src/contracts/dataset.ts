import type * as tf from '@tensorflow/tfjs';

/** A batch of images in [-1,1], channels last, with class labels. */
export interface ImageBatch {
  /** Images `[B,H,W,C]`, float32 in [-1,1]. */
  images: tf.Tensor4D;
  /** Class labels `[B]`, int32. */
  labels: tf.Tensor1D;
}

/** Options of {@link Dataset.batches}. */
export interface BatchOptions {
  /** Batch size. */
  batchSize: number;
  /** Seed of the shuffle and augmentation; epoch `e` uses a stream derived from `(seed, e)`. */
  seed: number;
  /** Epoch number, so every epoch is shuffled differently but reproducibly. @default 0 */
  epoch?: number;
  /** Shuffle the order. @default true */
  shuffle?: boolean;
  /** Drop the last incomplete batch. @default false */
  dropLast?: boolean;
  /** Random horizontal flip with probability 0.5. @default false */
  horizontalFlip?: boolean;
  /** Start at this batch of the epoch (used when resuming). @default 0 */
  startBatch?: number;
}

/** An in-memory or streamed image dataset. */
export interface Dataset {
  /** Human-readable name including split (`fashion-mnist/test`). */
  readonly name: string;
  /** Number of images. */
  readonly size: number;
  /** Image shape `[H,W,C]`. */
  readonly imageShape: [number, number, number];
  /** Number of classes. */
  readonly numClasses: number;
  /** Seeded batches; the caller disposes each batch's tensors. */
  batches(options: BatchOptions): Iterable<ImageBatch>;
  /** A subset view by indices into this dataset (for train/validation splits). */
  subset(indices: ArrayLike<number>, name: string): Dataset;
}
