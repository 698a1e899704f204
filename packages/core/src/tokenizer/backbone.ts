import * as tf from '@tensorflow/tfjs';
import type { Static } from '@sinclair/typebox';
import type { Rng } from '../contracts/services.js';
import { Conv2d } from '../nn/conv2d.js';
import { Module } from '../nn/module.js';
import { ModuleList } from '../nn/module-list.js';
import { GroupNorm } from '../nn/norm.js';
import { Downsample, Upsample } from '../nn/resample.js';
import { ResnetBlock } from '../nn/resnet-block.js';
import type { ConvResnetOptions } from './plugins.js';
import type { BackboneFactory, TokenizerBackbone } from './tokenizer.js';

/** Options of the `conv-resnet` backbone (see the plugin schema for documentation and defaults). */
export type ConvResnetBackboneOptions = Static<typeof ConvResnetOptions>;

/** Shapes a backbone is built for. */
export interface BackboneShapes {
  /** Image channels (1 for Fashion-MNIST, 3 for RGB). */
  imageChannels: number;
  /** Channels the quantizer takes in (its `inputChannels`). */
  quantizerInputChannels: number;
  /** Channels of the quantizer's codes (its `spec.channels`). */
  codeChannels: number;
}

/** One resolution level: residual blocks, then an optional resampler. */
class Level extends Module {
  readonly block: ModuleList<ResnetBlock>;
  readonly resample: Downsample | Upsample | undefined;

  constructor(blocks: ResnetBlock[], resampleName: 'downsample' | 'upsample', resample: Downsample | Upsample | undefined) {
    super();
    this.block = this.addModule('block', new ModuleList(blocks));
    this.resample = resample ? this.addModule(resampleName, resample) : undefined;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      for (const b of this.block) h = b.forward(h);
      return this.resample ? this.resample.forward(h) : h;
    });
  }
}

/** Residual blocks at the lowest resolution, named `block_1`, `block_2`, … as in the reference. */
class Middle extends Module {
  readonly blocks: ResnetBlock[] = [];

  constructor(count: number, channels: number, groups: number, rng: Rng) {
    super();
    for (let i = 0; i < count; i++) {
      this.blocks.push(this.addModule(`block_${i + 1}`, new ResnetBlock({ inChannels: channels, numGroups: groups, rng })));
    }
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.blocks.reduce((h, b) => b.forward(h), x));
  }
}

/** Encoder: `conv_in`, `down.{i}`, `mid`, `norm_out`, `conv_out` (reference names). */
class Encoder extends Module {
  readonly convIn: Conv2d;
  readonly down: ModuleList<Level>;
  readonly mid: Middle;
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;

  constructor(o: ConvResnetBackboneOptions, imageChannels: number, rng: Rng) {
    super();
    const widths = o.channelMultipliers.map((m) => m * o.channels);
    this.convIn = this.addModule('conv_in', new Conv2d({ inChannels: imageChannels, outChannels: o.channels, kernelSize: 3, padding: 1, rng }));
    const levels: Level[] = [];
    let width = o.channels;
    widths.forEach((out, i) => {
      const blocks: ResnetBlock[] = [];
      for (let j = 0; j < o.blocksPerStage; j++) {
        blocks.push(new ResnetBlock({ inChannels: width, outChannels: out, numGroups: o.groups, rng }));
        width = out;
      }
      const last = i === widths.length - 1;
      levels.push(new Level(blocks, 'downsample', last ? undefined : new Downsample({ inChannels: width, rng })));
    });
    this.down = this.addModule('down', new ModuleList(levels));
    this.mid = this.addModule('mid', new Middle(o.midBlocks, width, o.groups, rng));
    this.normOut = this.addModule('norm_out', new GroupNorm({ numGroups: o.groups, numChannels: width }));
    this.convOut = this.addModule('conv_out', new Conv2d({ inChannels: width, outChannels: o.latentChannels, kernelSize: 3, padding: 1, rng }));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.convIn.forward(x);
      for (const level of this.down) h = level.forward(h);
      h = this.mid.forward(h);
      return this.convOut.forward(this.normOut.forwardSilu(h));
    });
  }
}

/** Decoder: `conv_in`, `mid`, `up.{i}` (indexed by resolution level, run from the lowest), `norm_out`, `conv_out`. */
class Decoder extends Module {
  readonly convIn: Conv2d;
  readonly mid: Middle;
  readonly up: ModuleList<Level>;
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;

  constructor(o: ConvResnetBackboneOptions, imageChannels: number, rng: Rng) {
    super();
    const widths = o.channelMultipliers.map((m) => m * o.channels);
    const blocksPerStage = o.decoderBlocksPerStage ?? o.blocksPerStage + 1;
    let width = widths[widths.length - 1];
    this.convIn = this.addModule('conv_in', new Conv2d({ inChannels: o.latentChannels, outChannels: width, kernelSize: 3, padding: 1, rng }));
    this.mid = this.addModule('mid', new Middle(o.midBlocks, width, o.groups, rng));
    const levels: Level[] = new Array(widths.length);
    for (let i = widths.length - 1; i >= 0; i--) {
      const blocks: ResnetBlock[] = [];
      for (let j = 0; j < blocksPerStage; j++) {
        blocks.push(new ResnetBlock({ inChannels: width, outChannels: widths[i], numGroups: o.groups, rng }));
        width = widths[i];
      }
      levels[i] = new Level(blocks, 'upsample', i === 0 ? undefined : new Upsample({ inChannels: width, rng }));
    }
    this.up = this.addModule('up', new ModuleList(levels));
    this.normOut = this.addModule('norm_out', new GroupNorm({ numGroups: o.groups, numChannels: width }));
    this.convOut = this.addModule('conv_out', new Conv2d({ inChannels: width, outChannels: imageChannels, kernelSize: 3, padding: 1, rng }));
  }

  forward(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.mid.forward(this.convIn.forward(z));
      const levels = [...this.up];
      for (let i = levels.length - 1; i >= 0; i--) h = levels[i].forward(h);
      return this.convOut.forward(this.normOut.forwardSilu(h));
    });
  }
}

/**
 * The shared convolutional ResNet tokenizer backbone (the reference tokenizer's encoder/decoder without attention):
 * `encoder` → `quant_conv` (1×1, into the quantizer) … `post_quant_conv` (1×1, out of it) → `decoder`.
 * Parameter names follow the reference so weights can be exchanged.
 */
export class ConvResnetBackbone extends Module implements TokenizerBackbone {
  readonly downsampleFactor: number;
  readonly encoder: Encoder;
  readonly quantConv: Conv2d;
  readonly postQuantConv: Conv2d;
  readonly decoder: Decoder;

  /** Build from options and shapes, drawing initial weights from `rng`. */
  constructor(options: ConvResnetBackboneOptions, shapes: BackboneShapes, rng: Rng) {
    super();
    const widths = options.channelMultipliers.map((m) => m * options.channels);
    for (const w of [options.channels, ...widths]) {
      if (w % options.groups !== 0) {
        throw new Error(`conv-resnet: every stage width must be divisible by groups (${options.groups}); got ${w}`);
      }
    }
    this.downsampleFactor = 2 ** (widths.length - 1);
    this.encoder = this.addModule('encoder', new Encoder(options, shapes.imageChannels, rng));
    this.quantConv = this.addModule(
      'quant_conv',
      new Conv2d({ inChannels: options.latentChannels, outChannels: shapes.quantizerInputChannels, kernelSize: 1, padding: 0, rng }),
    );
    this.postQuantConv = this.addModule(
      'post_quant_conv',
      new Conv2d({ inChannels: shapes.codeChannels, outChannels: options.latentChannels, kernelSize: 1, padding: 0, rng }),
    );
    this.decoder = this.addModule('decoder', new Decoder(options, shapes.imageChannels, rng));
  }

  encode(images: tf.Tensor4D): tf.Tensor4D {
    const [, h, w] = images.shape;
    if (h % this.downsampleFactor !== 0 || w % this.downsampleFactor !== 0) {
      throw new Error(`conv-resnet: image size ${h}×${w} is not divisible by the downsample factor ${this.downsampleFactor}`);
    }
    return tf.tidy(() => this.quantConv.forward(this.encoder.forward(images)));
  }

  decode(codes: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.decoder.forward(this.postQuantConv.forward(codes)));
  }
}

/** What the `conv-resnet` plugin creates: builds backbones for given shapes. */
export class ConvResnetBackboneFactory implements BackboneFactory {
  /** @param options - validated plugin options. */
  constructor(readonly options: ConvResnetBackboneOptions) {}

  build(shapes: BackboneShapes, rng: Rng): ConvResnetBackbone {
    return new ConvResnetBackbone(this.options, shapes, rng);
  }
}
