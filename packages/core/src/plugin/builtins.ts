import type { PluginKind } from './define-plugin.js';

/** A built-in plugin provided by one of our npm packages (`@ifsq/quantizer-ifsq#ifsq`). */
export interface PackageBuiltin {
  /** npm package providing the plugin. */
  readonly packageName: string;
  /** Plugin name inside that package's manifest. */
  readonly plugin: string;
}

/** A built-in plugin shipped inside `@ifsq/core` itself, loaded lazily from a fixed core module. */
export interface CoreBuiltin {
  /** Core module, relative to this folder (`../data/plugins.js`). */
  readonly coreModule: string;
  /** Named export of that module holding the plugin definition. */
  readonly exportName: string;
}

/** Where a built-in short name points. */
export type BuiltinTarget = PackageBuiltin | CoreBuiltin;

/** Whether a built-in lives inside `@ifsq/core`. */
export function isCoreBuiltin(target: BuiltinTarget): target is CoreBuiltin {
  return 'coreModule' in target;
}

const fromPackage = (packageName: string, plugin: string): PackageBuiltin => ({ packageName, plugin });
const fromCore = (coreModule: string, exportName: string): CoreBuiltin => ({ coreModule, exportName });

const metric = (name: string): PackageBuiltin => fromPackage('@ifsq/metrics', name);

/**
 * Built-in short names per plugin kind. A pipeline may write `quantizer: ifsq` instead of
 * `quantizer: "@ifsq/quantizer-ifsq#ifsq"`; both resolve to the same plugin.
 */
export const BUILTIN_PLUGINS: Readonly<Record<PluginKind, Readonly<Record<string, BuiltinTarget>>>> = {
  dataset: {
    'fashion-mnist': fromCore('../data/plugins.js', 'fashionMnistDataset'),
    'image-folder': fromCore('../data/plugins.js', 'imageFolderDataset'),
  },
  backbone: {
    'conv-resnet': fromCore('../tokenizer/plugins.js', 'convResnetBackbone'),
  },
  quantizer: {
    ifsq: fromPackage('@ifsq/quantizer-ifsq', 'ifsq'),
    vq: fromPackage('@ifsq/quantizer-vq', 'vq'),
    vae: fromPackage('@ifsq/quantizer-vae', 'vae'),
    ae: fromPackage('@ifsq/quantizer-vae', 'ae'),
  },
  generator: {
    dit: fromPackage('@ifsq/generator-dit', 'dit'),
    llamagen: fromPackage('@ifsq/generator-llamagen', 'llamagen'),
  },
  aligner: {
    repa: fromPackage('@ifsq/align-repa', 'repa'),
  },
  metric: {
    psnr: metric('psnr'),
    ssim: metric('ssim'),
    lpips: metric('lpips'),
    fid: metric('fid'),
    'tokenizer-stats': metric('tokenizer-stats'),
    cknna: metric('cknna'),
  },
  'feature-extractor': {
    'fmnist-features': metric('fmnist-features'),
    'inception-v3': metric('inception-v3'),
  },
  stage: {
    'train-tokenizer': fromCore('../tokenizer/plugins.js', 'trainTokenizerStage'),
    'evaluate-tokenizer': fromCore('../tokenizer/plugins.js', 'evaluateTokenizerStage'),
    encode: fromCore('../tokenizer/plugins.js', 'encodeStage'),
  },
};

/** The built-in target of a short name for a kind, if any. */
export function findBuiltin(kind: PluginKind, name: string): BuiltinTarget | undefined {
  const table = BUILTIN_PLUGINS[kind];
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Kinds under which `name` is a built-in short name (used to explain kind mismatches). */
export function builtinKindsOf(name: string): PluginKind[] {
  return (Object.keys(BUILTIN_PLUGINS) as PluginKind[]).filter((kind) => Object.hasOwn(BUILTIN_PLUGINS[kind], name));
}
