/**
 * Built-in dataset plugins. This module imports neither TensorFlow.js nor sharp: the CLI lists and validates
 * plugins without loading them; `create` imports the implementation lazily.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Dataset } from '../contracts/dataset.js';
import { definePlugin } from '../plugin/define-plugin.js';

const validationOption = Type.Number({
  minimum: 0,
  default: 0,
  description:
    'Held-out validation images taken from the training images: a count (≥ 1) or a fraction in (0,1). ' +
    "`split: 'train'` returns the rest (with the held-out part as `.validation`), `split: 'validation'` returns the " +
    'held-out part. 0 holds out nothing. @default 0',
});

const seedOption = Type.Integer({
  default: 0,
  description: 'Seed choosing the held-out validation images (same seed → same images). @default 0',
});

const limitOption = Type.Integer({
  minimum: 1,
  description: 'Load only the first `limit` images (before the validation split). @default all images',
});

/** Option schema of {@link fashionMnistDataset}. */
export const FashionMnistOptionsSchema = Type.Object(
  {
    split: Type.Union([Type.Literal('train'), Type.Literal('validation'), Type.Literal('test')], {
      default: 'train',
      description:
        "`train`: the 60k training set minus the validation part (falls back to the shipped 10k test split with a " +
        "warning when the training set is not installed); `validation`: the held-out part; `test`: the 10k test " +
        'set (always available: it ships with @ifsq/core). @default "train"',
    }),
    dir: Type.Optional(
      Type.String({
        description:
          'Folder with the IDX files, looked in first (relative to the pipeline file). Then ' +
          '/usr/share/datasets/fashion-mnist, then `cacheDir`. @default none',
      }),
    ),
    cacheDir: Type.Optional(
      Type.String({ description: 'Download cache (relative to the pipeline file). @default "~/.cache/ifsq/fashion-mnist"' }),
    ),
    download: Type.Boolean({
      default: false,
      description:
        'Download missing files from the official Fashion-MNIST address into `cacheDir`, verifying checksums. ' +
        '@default false',
    }),
    size: Type.Integer({
      minimum: 28,
      default: 32,
      description:
        'Side of the square images. 28 keeps them as stored; larger sizes pad with background (−1), so the default ' +
        '32 adds 2 pixels on each side and the tokenizer can downsample by powers of two. @default 32',
    }),
    limit: Type.Optional(limitOption),
    validation: validationOption,
    seed: seedOption,
  },
  { additionalProperties: false },
);

/** Option schema of {@link imageFolderDataset}. */
export const ImageFolderOptionsSchema = Type.Object(
  {
    root: Type.String({
      minLength: 1,
      description: 'Folder with one sub-folder per class holding .png/.jpg/.jpeg files (relative to the pipeline file).',
    }),
    split: Type.Union([Type.Literal('train'), Type.Literal('validation'), Type.Literal('all')], {
      default: 'train',
      description: '`train`: all images minus the validation part; `validation`: the held-out part; `all`. @default "train"',
    }),
    size: Type.Integer({
      minimum: 1,
      default: 64,
      description: 'Side of the square images: the shorter side is resized to it, then the centre cropped. @default 64',
    }),
    grayscale: Type.Boolean({ default: false, description: 'One grey channel instead of RGB. @default false' }),
    limit: Type.Optional(limitOption),
    validation: validationOption,
    seed: seedOption,
  },
  { additionalProperties: false },
);

function resolveFrom(base: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * Fashion-MNIST (28×28 grey clothing images, 10 classes), padded to `size` and scaled to [-1,1]. The 10k test split
 * ships inside `@ifsq/core`; the 60k training split is read from `dir`, the Debian package
 * `dataset-fashion-mnist`, or the cache, or downloaded with `download: true`.
 */
export const fashionMnistDataset = definePlugin({
  name: 'fashion-mnist',
  kind: 'dataset',
  apiVersion: '1',
  description: 'Fashion-MNIST from IDX files (test split shipped; training split from the system, cache or download)',
  options: FashionMnistOptionsSchema,
  defaults: { split: 'train', download: false, size: 32, validation: 0, seed: 0 },
  async create(ctx, options): Promise<Dataset> {
    const { loadFashionMnist } = await import('./fashion-mnist.js');
    return loadFashionMnist({
      ...options,
      dir: resolveFrom(ctx.configDir, options.dir),
      cacheDir: resolveFrom(ctx.configDir, options.cacheDir),
      logger: ctx.logger,
    });
  },
});

/** Images from a folder tree `<root>/<class>/*.{png,jpg,jpeg}`, resized and centre-cropped, loaded into memory. */
export const imageFolderDataset = definePlugin({
  name: 'image-folder',
  kind: 'dataset',
  apiVersion: '1',
  description: 'PNG/JPEG images in class sub-folders, resized and centre-cropped with sharp',
  options: ImageFolderOptionsSchema,
  defaults: { split: 'train', size: 64, grayscale: false, validation: 0, seed: 0 },
  async create(ctx, options): Promise<Dataset> {
    const { loadImageFolder } = await import('./image-folder.js');
    return loadImageFolder({ ...options, root: resolveFrom(ctx.configDir, options.root) ?? options.root });
  },
});

/** The built-in dataset plugins. */
export const dataPlugins = [fashionMnistDataset, imageFolderDataset] as const;
