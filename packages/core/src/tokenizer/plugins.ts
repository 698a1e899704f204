/**
 * Built-in tokenizer plugins: the shared `conv-resnet` backbone and the `train-tokenizer`, `evaluate-tokenizer` and
 * `encode` stages. This module only declares schemas; implementations load lazily so that listing and validating
 * pipelines never imports TensorFlow.js.
 */
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { definePlugin } from '../plugin/define-plugin.js';

/** The `default` annotations of an object schema's properties, so each default is written once. */
function defaultsOf<S extends TObject>(schema: S): Partial<Static<S>> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties)) {
    if ((prop as { default?: unknown }).default !== undefined) out[key] = (prop as { default?: unknown }).default;
  }
  return out as Partial<Static<S>>;
}

/** Options of the `conv-resnet` backbone. */
export const ConvResnetOptions = Type.Object(
  {
    channels: Type.Integer({ minimum: 1, default: 32, description: 'Base channel count of the first stage. @default 32' }),
    channelMultipliers: Type.Array(Type.Integer({ minimum: 1 }), {
      minItems: 1,
      default: [1, 2, 2],
      description:
        'Channel multiplier per stage; every stage but the last halves the resolution, so the downsample factor is 2^(stages-1). @default [1,2,2]',
    }),
    blocksPerStage: Type.Integer({ minimum: 1, default: 1, description: 'Residual blocks per encoder stage. @default 1' }),
    decoderBlocksPerStage: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Residual blocks per decoder stage. @default blocksPerStage + 1 (as the reference)' }),
    ),
    latentChannels: Type.Integer({
      minimum: 1,
      default: 4,
      description: 'Channels of the encoder output before the 1×1 conv into the quantizer (z_channels). @default 4',
    }),
    groups: Type.Integer({ minimum: 1, default: 8, description: 'GroupNorm groups. @default 8' }),
    midBlocks: Type.Integer({ minimum: 0, default: 1, description: 'Residual blocks in the middle (lowest resolution). @default 1' }),
  },
  { additionalProperties: false },
);

/** The shared convolutional ResNet encoder/decoder every quantizer sits on. */
export const convResnetBackbone = definePlugin({
  name: 'conv-resnet',
  kind: 'backbone',
  apiVersion: '1',
  description: 'Convolutional ResNet encoder/decoder with 1×1 convs into and out of the quantizer',
  options: ConvResnetOptions,
  defaults: defaultsOf(ConvResnetOptions),
  create: async (_ctx, options) => {
    const { ConvResnetBackboneFactory } = await import('./backbone.js');
    return new ConvResnetBackboneFactory(options);
  },
});

/** Options of the `train-tokenizer` stage. */
export const TrainTokenizerOptions = Type.Object(
  {
    steps: Type.Integer({ minimum: 1, default: 300, description: 'Optimizer steps. @default 300' }),
    batchSize: Type.Integer({ minimum: 1, default: 64, description: 'Images per step. @default 64' }),
    lr: Type.Number({ exclusiveMinimum: 0, default: 2e-3, description: 'Peak learning rate of AdamW. @default 0.002' }),
    minLr: Type.Number({ minimum: 0, default: 1e-4, description: 'Final learning rate of the cosine decay. @default 0.0001' }),
    warmupSteps: Type.Integer({ minimum: 0, default: 20, description: 'Linear warmup steps. @default 20' }),
    beta1: Type.Number({ minimum: 0, maximum: 1, default: 0.9, description: 'AdamW β1. @default 0.9' }),
    beta2: Type.Number({ minimum: 0, maximum: 1, default: 0.999, description: 'AdamW β2. @default 0.999' }),
    weightDecay: Type.Number({ minimum: 0, default: 0, description: 'AdamW decoupled weight decay. @default 0' }),
    clipNorm: Type.Number({ minimum: 0, default: 1, description: 'Global gradient-norm clip; 0 disables. @default 1' }),
    emaDecay: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'EMA decay of the weights used for evaluation; 0 disables. @default 0' }),
    l1Weight: Type.Number({ minimum: 0, default: 1, description: 'Weight of the L1 reconstruction term. @default 1' }),
    l2Weight: Type.Number({ minimum: 0, default: 0, description: 'Weight of the L2 (MSE) term. @default 0' }),
    perceptualWeight: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Weight of the perceptual term (needs `tokenizer.perceptual`). @default 0',
    }),
    holdout: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'Images held out of training (seeded split); evaluation and validation use them. @default 1000',
    }),
    validateEvery: Type.Integer({ minimum: 0, default: 100, description: 'Validation PSNR every N steps; 0 disables. @default 100' }),
    validationImages: Type.Integer({ minimum: 1, default: 256, description: 'Held-out images used for periodic validation. @default 256' }),
    logEvery: Type.Integer({ minimum: 1, default: 25, description: 'Write training metrics every N steps. @default 25' }),
    checkpointEvery: Type.Integer({ minimum: 1, default: 100, description: 'Checkpoint every N steps. @default 100' }),
    horizontalFlip: Type.Boolean({ default: false, description: 'Random horizontal flips. @default false' }),
  },
  { additionalProperties: false },
);

/** Train the tokenizer (backbone + quantizer) on the pipeline's data. */
export const trainTokenizerStage = definePlugin({
  name: 'train-tokenizer',
  kind: 'stage',
  apiVersion: '1',
  description: 'Train the tokenizer with AdamW, periodic validation PSNR, checkpoints and exact resume',
  options: TrainTokenizerOptions,
  defaults: defaultsOf(TrainTokenizerOptions),
  traits: () => ({ needs: ['data', 'tokenizer'] }),
  create: async (_ctx, options) => {
    const { TrainTokenizerStage } = await import('./train-stage.js');
    return new TrainTokenizerStage(options);
  },
});

/** Options of the `evaluate-tokenizer` stage. */
export const EvaluateTokenizerOptions = Type.Object(
  {
    batchSize: Type.Integer({ minimum: 1, default: 100, description: 'Images per evaluation batch. @default 100' }),
    images: Type.Integer({ minimum: 0, default: 0, description: 'Evaluate at most this many held-out images; 0 = all. @default 0' }),
    gridImages: Type.Integer({ minimum: 0, default: 16, description: 'Originals/reconstructions shown in the PNG grid. @default 16' }),
    useEma: Type.Boolean({ default: true, description: 'Evaluate the EMA weights when training kept them. @default true' }),
  },
  { additionalProperties: false },
);

/** Evaluate the trained tokenizer on held-out images with the pipeline's metrics. */
export const evaluateTokenizerStage = definePlugin({
  name: 'evaluate-tokenizer',
  kind: 'stage',
  apiVersion: '1',
  description: 'Reconstruction and latent metrics on held-out images, with a PNG grid of originals vs reconstructions',
  options: EvaluateTokenizerOptions,
  defaults: defaultsOf(EvaluateTokenizerOptions),
  traits: () => ({ needs: ['data', 'tokenizer'] }),
  create: async (_ctx, options) => {
    const { EvaluateTokenizerStage } = await import('./evaluate-stage.js');
    return new EvaluateTokenizerStage(options);
  },
});

/** Options of the `encode` stage. */
export const EncodeOptions = Type.Object(
  {
    outputs: Type.Array(Type.Union([Type.Literal('codes'), Type.Literal('indices')]), {
      minItems: 1,
      uniqueItems: true,
      default: ['codes'],
      description:
        'What to write: `codes` (continuous, for diffusion) and/or `indices` (discrete, for autoregressive generators; needs a discrete tokenizer). @default ["codes"]',
    }),
    batchSize: Type.Integer({ minimum: 1, default: 200, description: 'Images per encoding batch. @default 200' }),
    file: Type.String({ default: 'tokens.safetensors', description: 'Token file name inside the stage folder. @default "tokens.safetensors"' }),
    scale: Type.Union([Type.Literal('auto'), Type.Literal('measure'), Type.Literal('keep')], {
      default: 'auto',
      description:
        'Latent scale written into the token file\'s spec: `measure` uses the per-channel mean/std measured here, `keep` the quantizer\'s own, `auto` measures for continuous tokenizers that declare no scale of their own (constant factor 1) and keeps it otherwise. The measured values are always recorded. @default "auto"',
    }),
  },
  { additionalProperties: false },
);

/** Encode the dataset into a token file for generators. */
export const encodeStage = definePlugin({
  name: 'encode',
  kind: 'stage',
  apiVersion: '1',
  description: 'Encode the dataset into codes and/or indices (a safetensors token file) for generators',
  options: EncodeOptions,
  defaults: defaultsOf(EncodeOptions),
  traits: (options) => ({
    needs: ['data', 'tokenizer'],
    ...(options.outputs?.includes('indices') ? { accepts: ['discrete' as const] } : {}),
  }),
  create: async (_ctx, options) => {
    const { EncodeStage } = await import('./encode-stage.js');
    return new EncodeStage(options);
  },
});
