import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../contracts/dataset.js';
import type { Metric } from '../contracts/metric.js';
import type { Quantizer } from '../contracts/quantizer.js';
import { trainValidationSplit } from '../data/split.js';
import { loadStateDict } from '../nn/module.js';
import type { StageContext } from '../stage/stage.js';
import { Tokenizer, type BackboneFactory, type PerceptualDistance } from './tokenizer.js';

/** Checkpoint holding the trained tokenizer weights (written by `train-tokenizer`, read by later stages). */
export const TOKENIZER_CHECKPOINT = 'tokenizer';
/** Checkpoint holding the full training state for `--resume`. */
export const TRAIN_STATE_CHECKPOINT = 'tokenizer-train-state';
/** Prefix of EMA weights inside {@link TOKENIZER_CHECKPOINT}. */
export const EMA_PREFIX = 'ema.';

/** The pipeline's dataset split into training images and held-out images (never trained on). */
export interface TokenizerData {
  /** Images to train on. */
  train: Dataset;
  /** Held-out images for validation and evaluation. */
  holdout: Dataset;
}

/**
 * Load the pipeline's `data` slot and hold out `holdout` images with a permutation seeded by the pipeline seed, so
 * every stage of a run (and a resumed run) sees the same split.
 */
export async function loadTokenizerData(ctx: StageContext, holdout: number): Promise<TokenizerData> {
  const dataset = await ctx.instantiate<Dataset>('data');
  if (holdout === 0) return { train: dataset, holdout: dataset.subset([], `${dataset.name}/holdout`) };
  const split = trainValidationSplit(dataset, { validation: holdout, seed: ctx.pipeline.config.seed ?? 0 });
  return { train: split.train, holdout: split.validation };
}

/** The holdout size the `train-tokenizer` stage of this pipeline used (its option, or the default 1000). */
export function holdoutOf(ctx: StageContext): number {
  const train = ctx.pipeline.stages.find((s) => s.definition.name === 'train-tokenizer');
  return (train?.options.holdout as number | undefined) ?? 1000;
}

/** Build the tokenizer of the pipeline (backbone built for the data's channels and the quantizer's shapes). */
export async function buildTokenizer(ctx: StageContext, imageChannels: number): Promise<Tokenizer> {
  const quantizer = await ctx.instantiate<Quantizer>('tokenizer.quantizer');
  const factory = await ctx.instantiate<BackboneFactory>('tokenizer.backbone');
  const backbone = factory.build(
    { imageChannels, quantizerInputChannels: quantizer.inputChannels, codeChannels: quantizer.spec.channels },
    ctx.rng.fork('tokenizer-init'),
  );
  return new Tokenizer(backbone, quantizer);
}

/**
 * Load the trained weights into a tokenizer: the EMA weights when present and `useEma`, else the raw ones.
 * @returns which weights were loaded.
 */
export async function loadTrainedTokenizer(ctx: StageContext, tokenizer: Tokenizer, useEma: boolean): Promise<'ema' | 'raw'> {
  const saved = await ctx.checkpoints.load(TOKENIZER_CHECKPOINT);
  if (!saved) {
    throw new Error(
      `${ctx.stageName}: no trained tokenizer in ${ctx.checkpoints.dir} (checkpoint "${TOKENIZER_CHECKPOINT}"); run the train-tokenizer stage first`,
    );
  }
  try {
    const raw = new Map<string, tf.Tensor>();
    const ema = new Map<string, tf.Tensor>();
    for (const [name, t] of saved.tensors) {
      if (name.startsWith(EMA_PREFIX)) ema.set(name.slice(EMA_PREFIX.length), t);
      else raw.set(name, t);
    }
    const target = tokenizer.stateDict();
    loadStateDict(target, raw, { source: `${ctx.checkpoints.dir}/${TOKENIZER_CHECKPOINT}.safetensors` });
    if (useEma && ema.size > 0) {
      loadStateDict(target, ema, { strict: false, source: 'EMA weights' });
      return 'ema';
    }
    return 'raw';
  } finally {
    tf.dispose([...saved.tensors.values()]);
  }
}

/** The part of a `feature-extractor` plugin the perceptual loss uses (`@ifsq/metrics` extractors have it). */
interface FeatureNetwork {
  extract(images: tf.Tensor4D): tf.Tensor2D;
}

/**
 * The perceptual distance of the tokenizer loss from the `tokenizer.perceptual` feature network: the mean squared
 * difference of the features of originals and reconstructions. Undefined when the pipeline names no network.
 */
export async function loadPerceptualDistance(ctx: StageContext): Promise<PerceptualDistance | undefined> {
  if (!ctx.pipeline.plugins.has('tokenizer.perceptual')) return undefined;
  const network = await ctx.instantiate<FeatureNetwork>('tokenizer.perceptual');
  if (typeof network?.extract !== 'function') {
    throw new Error('tokenizer.perceptual: the plugin must create a feature extractor with extract(images) → [N, d]');
  }
  return (x, y) => tf.tidy(() => tf.mean(tf.square(tf.sub(network.extract(x), network.extract(y)))) as tf.Scalar);
}

/** Instantiate the pipeline's metrics (the `metrics` list), reset. */
export async function loadMetrics(ctx: StageContext): Promise<Metric[]> {
  const metrics: Metric[] = [];
  for (const m of ctx.pipeline.metrics) {
    const metric = await ctx.instantiate<Metric>(m.path);
    metric.reset();
    metrics.push(metric);
  }
  return metrics;
}

/** The first configured metric of a plugin name, if any (e.g. `psnr` for periodic validation). */
export async function findMetric(ctx: StageContext, pluginName: string): Promise<Metric | undefined> {
  const slot = ctx.pipeline.metrics.find((m) => m.definition.name === pluginName);
  return slot ? ctx.instantiate<Metric>(slot.path) : undefined;
}
