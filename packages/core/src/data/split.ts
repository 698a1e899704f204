import type { Dataset } from '../contracts/dataset.js';
import { SeededRng } from '../random/rng.js';

/** Options of {@link trainValidationSplit}. */
export interface TrainValidationSplitOptions {
  /**
   * Size of the validation part: a count (an integer ≥ 1) or a fraction of the dataset (0 < v < 1, rounded to the
   * nearest count, at least 1). 0 gives an empty validation part.
   */
  validation: number;
  /** Seed of the permutation that picks the validation images. @default 0 */
  seed?: number;
}

/** The two disjoint parts made by {@link trainValidationSplit}. */
export interface TrainValidationSplit<D extends Dataset = Dataset> {
  /** Images to train on. */
  train: D;
  /** Held-out images, disjoint from `train`. */
  validation: D;
}

/** A dataset that also carries its held-out validation part (what dataset plugins return with `validation > 0`). */
export interface DatasetWithValidation extends Dataset {
  /** Held-out images, never part of this dataset's batches. */
  readonly validation: Dataset;
}

/** Whether a dataset carries a held-out validation part. */
export function hasValidation(dataset: Dataset): dataset is DatasetWithValidation {
  const candidate = (dataset as Partial<DatasetWithValidation>).validation;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.batches === 'function';
}

/**
 * How many images a `validation` option means for a dataset of `size` images.
 *
 * @throws Error when the value is negative, a non-integer ≥ 1, or leaves no training images.
 */
export function validationCount(validation: number, size: number, name = 'dataset'): number {
  if (!Number.isFinite(validation) || validation < 0) {
    throw new Error(`${name}: validation must be a count ≥ 1 or a fraction in (0,1), got ${validation}`);
  }
  let count: number;
  if (validation === 0) count = 0;
  else if (validation < 1) count = Math.max(1, Math.round(validation * size));
  else if (Number.isInteger(validation)) count = validation;
  else throw new Error(`${name}: validation ≥ 1 must be a whole number of images, got ${validation}`);
  if (count >= size) {
    throw new Error(`${name}: validation of ${count} images leaves nothing to train on (the dataset has ${size})`);
  }
  return count;
}

/**
 * Split a dataset into disjoint training and validation parts. The validation images are chosen by a seeded
 * permutation, so the same `(seed, validation)` always holds out the same images; each part keeps the dataset's
 * original order.
 */
export function trainValidationSplit<D extends Dataset>(
  dataset: D,
  options: TrainValidationSplitOptions,
): TrainValidationSplit<ReturnType<D['subset']> & Dataset> {
  const count = validationCount(options.validation, dataset.size, dataset.name);
  const permutation = new SeededRng(`${options.seed ?? 0}/train-validation-split`).permutation(dataset.size);
  const validation = permutation.slice(0, count).sort();
  const train = permutation.slice(count).sort();
  type Part = ReturnType<D['subset']> & Dataset;
  return {
    train: dataset.subset(train, `${dataset.name}[train]`) as Part,
    validation: dataset.subset(validation, `${dataset.name}[validation]`) as Part,
  };
}
