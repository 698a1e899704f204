/**
 * Plugin definitions of `@ifsq/metrics`. This module loads neither TensorFlow.js nor ml-matrix (nor `@ifsq/core` at
 * run time): every implementation is imported lazily in `create`, so the CLI can list and validate plugins cheaply.
 * Definitions are typed object literals (the shape `definePlugin` returns) for that reason.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Metric, PluginContext, PluginDefinition } from '@ifsq/core';
import { Type } from '@sinclair/typebox';
import type { FeatureExtractor } from './features/extractor.js';

function resolvePath(ctx: PluginContext, p: string | undefined): string | undefined {
  if (!p) return p;
  return isAbsolute(p) ? p : resolve(ctx.configDir, p);
}

const PsnrOptions = Type.Object(
  {
    cap: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          'Cap in dB applied to every image (identical images count as the cap; iFSQ uses 100). Default: no cap — identical images (+∞) are left out of the mean and counted in psnr_identical.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `psnr` metric: per-image PSNR of reconstructions on [0,1] (data range 1), mean over images. */
export const psnr: PluginDefinition<'metric', typeof PsnrOptions, Metric> = {
  name: 'psnr',
  kind: 'metric',
  apiVersion: '1',
  description: 'PSNR on images mapped from [-1,1] to [0,1]; +∞ for identical images unless `cap` is set.',
  options: PsnrOptions,
  defaults: {},
  async create(_ctx, o) {
    const { PsnrMetric } = await import('./metrics/image-metrics.js');
    return new PsnrMetric(o);
  },
};

const SsimOptions = Type.Object(
  {
    variant: Type.Union([Type.Literal('skimage'), Type.Literal('gaussian')], {
      default: 'skimage',
      description: "'skimage' (7×7 uniform, sample covariance; what the iFSQ numbers use) or 'gaussian' (11×11, σ 1.5, valid). Default 'skimage'.",
    }),
  },
  { additionalProperties: false },
);

/** `ssim` metric: SSIM per image (mean over channels), mean over images. */
export const ssim: PluginDefinition<'metric', typeof SsimOptions, Metric> = {
  name: 'ssim',
  kind: 'metric',
  apiVersion: '1',
  description: 'SSIM (scikit-image default or Gaussian Wang et al.) on images mapped to [0,1].',
  options: SsimOptions,
  defaults: { variant: 'skimage' },
  async create(_ctx, o) {
    const { SsimMetric } = await import('./metrics/image-metrics.js');
    return new SsimMetric(o);
  },
};

const LpipsOptions = Type.Object(
  {
    weights: Type.String({ minLength: 1, description: 'Local safetensors file with the trunk and lin weights (scripts/convert_lpips_weights.py). Required; nothing is downloaded.' }),
    net: Type.Union([Type.Literal('alex'), Type.Literal('vgg')], { default: 'alex', description: "Feature trunk. Default 'alex' (what iFSQ evaluates with)." }),
    spatial: Type.Boolean({ default: false, description: 'Upsample layer maps to the image size before averaging (iFSQ eval). Default false (standard LPIPS).' }),
  },
  { additionalProperties: false },
);

/** `lpips` metric: LPIPS with AlexNet or VGG16 features from a local weights file. */
export const lpips: PluginDefinition<'metric', typeof LpipsOptions, Metric> = {
  name: 'lpips',
  kind: 'metric',
  apiVersion: '1',
  description: 'LPIPS (AlexNet or VGG16, v0.1 linear weights) from a local safetensors file.',
  options: LpipsOptions,
  defaults: { net: 'alex', spatial: false },
  async create(ctx, o) {
    const [{ Lpips }, { LpipsMetric }] = await Promise.all([import('./lpips/lpips.js'), import('./metrics/lpips-metric.js')]);
    const model = await Lpips.load(resolvePath(ctx, o.weights), { net: o.net });
    return new LpipsMetric(model, { spatial: o.spatial });
  },
};

const FmnistOptions = Type.Object(
  { weights: Type.Optional(Type.String({ description: 'Weights file. Default: the shipped weights/fmnist-features.safetensors.' })) },
  { additionalProperties: false },
);

/** `fmnist-features` feature extractor: small Fashion-MNIST CNN with shipped weights (64-d). */
export const fmnistFeatures: PluginDefinition<'feature-extractor', typeof FmnistOptions, FeatureExtractor> = {
  name: 'fmnist-features',
  kind: 'feature-extractor',
  apiVersion: '1',
  description: 'Fashion-MNIST CNN features (64-d, shipped weights). Its FID is not comparable to Inception FID.',
  options: FmnistOptions,
  defaults: {},
  async create(ctx, o) {
    const { FmnistFeatureExtractor } = await import('./features/fmnist.js');
    return o.weights ? FmnistFeatureExtractor.load(resolvePath(ctx, o.weights)) : FmnistFeatureExtractor.load();
  },
};

const InceptionOptions = Type.Object(
  {
    weights: Type.String({ minLength: 1, description: 'pytorch-fid InceptionV3 weights converted to safetensors (README). Required; nothing is downloaded.' }),
    inputSize: Type.Integer({ minimum: 75, default: 299, description: 'Network input side. Default 299 (the FID protocol).' }),
  },
  { additionalProperties: false },
);

/** `inception-v3` feature extractor: FID InceptionV3 (pytorch-fid layout), 2048-d pool3 features. */
export const inceptionV3: PluginDefinition<'feature-extractor', typeof InceptionOptions, FeatureExtractor> = {
  name: 'inception-v3',
  kind: 'feature-extractor',
  apiVersion: '1',
  description: 'FID InceptionV3 (pytorch-fid layout, 2048-d pool3) from a local weights file.',
  options: InceptionOptions,
  defaults: { inputSize: 299 },
  async create(ctx, o) {
    const { InceptionV3FeatureExtractor } = await import('./features/inception.js');
    return InceptionV3FeatureExtractor.load(resolvePath(ctx, o.weights), { inputSize: o.inputSize });
  },
};

const FidOptions = Type.Object(
  {
    extractor: Type.Union([Type.Literal('fmnist-features'), Type.Literal('inception-v3')], {
      default: 'fmnist-features',
      description: "Feature network. Default 'fmnist-features' (works offline; not comparable to Inception FID).",
    }),
    extractorWeights: Type.Optional(Type.String({ description: 'Weights of the extractor (required for inception-v3; default shipped weights for fmnist-features).' })),
    reference: Type.Optional(
      Type.String({ description: 'Precomputed real statistics (JSON from saveReferenceStats) → gFID against them. Default: none; real images of the batches are used (rFID).' }),
    ),
    valueName: Type.String({ default: 'fid', description: "Reported value name (e.g. 'rfid', 'gfid'). Default 'fid'." }),
    saveReference: Type.Optional(
      Type.String({ description: 'Write the accumulated real-image statistics to this JSON file for later gFID runs. Default: not written.' }),
    ),
  },
  { additionalProperties: false },
);

/** `fid` metric: streaming float64 FID with provenance; rFID (real vs fake batches) or gFID (reference stats). */
export const fid: PluginDefinition<'metric', typeof FidOptions, Metric> = {
  name: 'fid',
  kind: 'metric',
  apiVersion: '1',
  description: 'Streaming FID (rFID on real vs reconstructions, gFID against saved reference statistics).',
  options: FidOptions,
  defaults: { extractor: 'fmnist-features', valueName: 'fid' },
  async create(ctx, o) {
    const [{ FidMetric }, { loadReferenceStats }] = await Promise.all([import('./metrics/fid-metric.js'), import('./fid/reference-stats.js')]);
    const weights = resolvePath(ctx, o.extractorWeights);
    let extractor: FeatureExtractor;
    if (o.extractor === 'inception-v3') {
      extractor = await (await import('./features/inception.js')).InceptionV3FeatureExtractor.load(weights);
    } else {
      const { FmnistFeatureExtractor } = await import('./features/fmnist.js');
      extractor = await (weights ? FmnistFeatureExtractor.load(weights) : FmnistFeatureExtractor.load());
    }
    const reference = o.reference ? await loadReferenceStats(resolvePath(ctx, o.reference)!) : undefined;
    return new FidMetric(extractor, { reference, valueName: o.valueName, saveReference: resolvePath(ctx, o.saveReference) });
  },
};

const TokenizerStatsOptionsSchema = Type.Object(
  {
    binValues: Type.Boolean({
      default: false,
      description:
        'Also report per-dimension utilization, entropy, perplexity and bin fractions as values (dim{i}_…). Off by default so every tokenizer reports the same value names; they are always in the provenance. Default false.',
    }),
    maxKsSamples: Type.Integer({ minimum: 1, default: 500000, description: 'Most pre-rounding values kept for the KS statistic. Default 500000.' }),
  },
  { additionalProperties: false },
);

/** `tokenizer-stats` metric: utilization, entropy, perplexity, bin histograms, KS, bits and compression ratio. */
export const tokenizerStats: PluginDefinition<'metric', typeof TokenizerStatsOptionsSchema, Metric> = {
  name: 'tokenizer-stats',
  kind: 'metric',
  apiVersion: '1',
  description: 'Codebook/bin utilization, entropy, perplexity, per-dimension histograms, KS vs Uniform, bits and compression ratio.',
  options: TokenizerStatsOptionsSchema,
  defaults: { binValues: false, maxKsSamples: 500000 },
  async create(_ctx, o) {
    const { TokenizerStatsMetric } = await import('./metrics/tokenizer-stats-metric.js');
    return new TokenizerStatsMetric(o);
  },
};

const CknnaOptions = Type.Object(
  {
    topk: Type.Integer({ minimum: 2, description: 'Neighbours per sample (required; iFSQ uses 10).' }),
    normalize: Type.Boolean({ default: false, description: 'L2-normalise rows first (platonic-rep driver). Default false (iFSQ usage).' }),
  },
  { additionalProperties: false },
);

/** `cknna` metric: CKNNA per batch between two representations, averaged over batches. */
export const cknna: PluginDefinition<'metric', typeof CknnaOptions, Metric> = {
  name: 'cknna',
  kind: 'metric',
  apiVersion: '1',
  description: 'CKNNA between two representations of the same samples (representationA/B, else real/fake), mean over batches.',
  options: CknnaOptions,
  defaults: { normalize: false },
  async create(_ctx, o) {
    const { CknnaMetric } = await import('./metrics/cknna-metric.js');
    return new CknnaMetric(o);
  },
};

/** Every plugin of the package, by export name. */
export const plugins = { psnr, ssim, lpips, fid, tokenizerStats, cknna, fmnistFeatures, inceptionV3 };
