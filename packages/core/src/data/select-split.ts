import type { InMemoryImageDataset } from './in-memory-dataset.js';
import { trainValidationSplit, type DatasetWithValidation } from './split.js';

/** Which part of a dataset a plugin returns. */
export type SplitName = 'train' | 'validation' | 'test' | 'all';

/** How the training images are divided into a training and a held-out validation part. */
export interface SplitSelection {
  /** Held-out validation images: a count ≥ 1 or a fraction in (0,1); 0 holds out nothing. @default 0 */
  validation?: number;
  /** Seed choosing the held-out images (same seed and `validation` → same images). @default 0 */
  seed?: number;
}

/**
 * Pick a split of a loaded dataset: `train` is the dataset minus the held-out part (carrying that part as
 * `.validation` when there is one), `validation` is the held-out part, and `test`/`all` is the dataset unchanged.
 */
export function selectSplit(
  full: InMemoryImageDataset,
  split: SplitName,
  selection: SplitSelection,
): InMemoryImageDataset | (InMemoryImageDataset & DatasetWithValidation) {
  const validation = selection.validation ?? 0;
  if (split === 'test' || split === 'all') return full;
  if (validation === 0) {
    if (split === 'validation') {
      throw new Error(`${full.name}: split 'validation' needs the option \`validation\` (a count or a fraction) > 0`);
    }
    return full;
  }
  const parts = trainValidationSplit(full, { validation, seed: selection.seed ?? 0 });
  if (split === 'validation') return parts.validation;
  return Object.assign(parts.train, { validation: parts.validation });
}
