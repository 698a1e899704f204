/**
 * Test fixtures for tokenizer stages: a tiny in-memory dataset plugin, a 3-level scalar quantizer with a straight-
 * through estimator, and a helper that assembles a ResolvedPipeline by hand (no config loader needed).
 */
import { Type } from '@sinclair/typebox';
import * as tf from '@tensorflow/tfjs';
import type { LatentSpec } from '../../src/contracts/latent-spec.js';
import type { Quantizer, QuantizeOptions, QuantizeResult } from '../../src/contracts/quantizer.js';
import { InMemoryImageDataset } from '../../src/data/in-memory-dataset.js';
import { definePlugin, type PluginDefinition } from '../../src/plugin/define-plugin.js';
import type { ResolvedPipeline, ResolvedPlugin } from '../../src/pipeline/types.js';
import { SeededRng } from '../../src/random/rng.js';
import { convResnetBackbone } from '../../src/tokenizer/plugins.js';

/** `round` with an identity gradient. */
const roundSte = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.round(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => [dy],
}));

/** Bounded by tanh, rounded to {−1, 0, 1} per channel; index = Σ digit·3^c. */
export class ThreeLevelQuantizer implements Quantizer {
  readonly inputChannels: number;
  readonly spec: LatentSpec;

  constructor(readonly channels = 2) {
    this.inputChannels = channels;
    this.spec = {
      channels,
      kind: 'discrete',
      valueRange: [-1, 1],
      levels: Array(channels).fill(3),
      vocabSizes: [3 ** channels],
      indexOrder: 'little',
      bitsPerValue: Math.log2(3),
      valuesPerPosition: channels,
      scale: { kind: 'constant', factor: 1 },
    };
  }

  quantize(z: tf.Tensor4D, options: QuantizeOptions = {}): QuantizeResult {
    const codes = tf.tidy(() => roundSte(tf.tanh(z)) as tf.Tensor4D);
    const indices = this.codesToIndices(codes);
    const stats: Record<string, number> = {};
    if (options.collectStats) stats.mean_abs_code = tf.tidy(() => tf.mean(tf.abs(codes)).dataSync()[0]);
    return { codes, indices, auxLoss: tf.scalar(0), stats };
  }

  codesToIndices(codes: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const basis = tf.tensor1d(Array.from({ length: this.channels }, (_, i) => 3 ** i));
      return tf.cast(tf.sum(tf.mul(tf.add(codes, 1), basis), -1), 'int32');
    });
  }

  indicesToCodes(indices: tf.Tensor): tf.Tensor4D {
    const values = indices.dataSync();
    const out = new Float32Array(values.length * this.channels);
    values.forEach((v, i) => {
      for (let c = 0; c < this.channels; c++) out[i * this.channels + c] = (Math.floor(v / 3 ** c) % 3) - 1;
    });
    return tf.tensor4d(out, [...indices.shape, this.channels] as [number, number, number, number]);
  }

  namedParameters(): Map<string, tf.Variable> {
    return new Map();
  }

  namedBuffers(): Map<string, tf.Variable> {
    return new Map();
  }

  dispose(): void {}
}

/** A quantizer plugin around {@link ThreeLevelQuantizer}. */
export const threeLevelQuantizer = definePlugin({
  name: 'three-level',
  kind: 'quantizer',
  apiVersion: '1',
  options: Type.Object({ channels: Type.Integer({ minimum: 1 }) }),
  defaults: { channels: 2 },
  traits: () => ({ produces: 'discrete' }),
  create: (_ctx, o) => new ThreeLevelQuantizer(o.channels),
});

/** Seeded random 8×8×1 images of two classes (a bright square on the left or on the right half). */
export function tinyImages(count: number, seed = 1): InMemoryImageDataset {
  const rng = new SeededRng(seed);
  const pixels = new Uint8Array(count * 64);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = n % 2;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const inSquare = y >= 2 && y < 6 && (labels[n] === 0 ? x < 4 : x >= 4);
        pixels[n * 64 + y * 8 + x] = inSquare ? 200 + rng.int(56) : rng.int(40);
      }
    }
  }
  return new InMemoryImageDataset({ name: 'tiny', pixels, labels, imageShape: [8, 8, 1], numClasses: 2 });
}

/**
 * A dataset plugin over {@link tinyImages}. When `abortAfterBatches` is given, `controller` is aborted as the
 * batch with that 1-based number is handed out (to simulate Ctrl-C at a step boundary).
 */
export function tinyDataPlugin(
  size: number,
  interrupt?: { controller: AbortController; abortAfterBatches: number },
): PluginDefinition {
  return definePlugin({
    name: 'tiny',
    kind: 'dataset',
    apiVersion: '1',
    options: Type.Object({}),
    defaults: {},
    create: () => {
      const data = tinyImages(size);
      if (!interrupt) return data;
      let served = 0;
      const wrap = (d: InMemoryImageDataset | ReturnType<InMemoryImageDataset['subset']>): typeof d =>
        new Proxy(d, {
          get(target, prop, receiver) {
            if (prop === 'subset') return (...args: Parameters<typeof target.subset>) => wrap(target.subset(...args));
            if (prop === 'batches') {
              return function* (...args: Parameters<typeof target.batches>) {
                for (const b of target.batches(...args)) {
                  served += 1;
                  if (served === interrupt.abortAfterBatches) interrupt.controller.abort();
                  yield b;
                }
              };
            }
            return Reflect.get(target, prop, receiver);
          },
        });
      return wrap(data);
    },
  });
}

/** A feature-extractor plugin whose features are 2×2 average-pooled pixels (differentiable, parameter-free). */
export const pooledPixels = definePlugin({
  name: 'pooled-pixels',
  kind: 'feature-extractor',
  apiVersion: '1',
  options: Type.Object({}),
  defaults: {},
  create: () => ({
    extract: (images: tf.Tensor4D) =>
      tf.tidy(() => tf.reshape(tf.avgPool(images, 2, 2, 'valid'), [images.shape[0], -1]) as tf.Tensor2D),
  }),
});

/** Backbone options small enough for the cpu backend: 8×8 images, two levels, 8 channels. */
export const TINY_BACKBONE = { channels: 8, channelMultipliers: [1, 2], blocksPerStage: 1, latentChannels: 2, groups: 4, midBlocks: 1 };

function slot(path: string, definition: PluginDefinition, options: Record<string, unknown> = {}): ResolvedPlugin {
  return {
    path,
    kind: definition.kind,
    definition,
    options: { ...definition.defaults, ...options },
    source: { specifier: definition.name, builtin: true },
  };
}

/** Assemble a pipeline of the tiny data, backbone and quantizer with the given stages (definition + options). */
export function tinyPipeline(
  dir: string,
  stages: Array<[PluginDefinition, Record<string, unknown>]>,
  extra: {
    data?: PluginDefinition;
    metrics?: Array<[PluginDefinition, Record<string, unknown>]>;
    backend?: 'cpu' | 'wasm';
    perceptual?: PluginDefinition;
  } = {},
): ResolvedPipeline {
  const slots = [
    slot('data', extra.data ?? tinyDataPlugin(96)),
    slot('tokenizer.backbone', convResnetBackbone, TINY_BACKBONE),
    slot('tokenizer.quantizer', threeLevelQuantizer),
    ...(extra.perceptual ? [slot('tokenizer.perceptual', extra.perceptual)] : []),
  ];
  const stageSlots = stages.map(([d, o], i) => slot(`stages[${i}]`, d, o));
  const metricSlots = (extra.metrics ?? []).map(([d, o], i) => slot(`metrics[${i}]`, d, o));
  return {
    configPath: `${dir}/ifsq.config.json`,
    configDir: dir,
    config: { name: 'tiny', seed: 3, backend: extra.backend ?? 'cpu', stages: stages.map(([d]) => d.name), output: { run: 'tiny' } },
    plugins: new Map([...slots, ...stageSlots, ...metricSlots].map((s) => [s.path, s] as const)),
    stages: stageSlots,
    metrics: metricSlots,
  };
}
