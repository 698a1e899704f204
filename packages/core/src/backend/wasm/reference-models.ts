import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../../optim/adamw.js';
import { fusedGelu, fusedGeluAvailable } from './gelu.js';
import { fusedLayerNorm, fusedLayerNormAvailable } from './layer-norm.js';
import type { prepareWasmBackend } from './prepare.js';
import { seededNormal } from './seeded-normal.js';

/**
 * Small reference networks for the wasm-path tests and `pnpm bench`, written with raw tfjs ops so they exercise
 * exactly the kernels the tokenizer backbone and a transformer block need. Deterministic: parameters and data come
 * from seeded JS streams, so every backend starts from identical values.
 */
export interface ReferenceModel {
  /** Trainable parameters by name. */
  readonly params: Map<string, tf.Variable>;
  /** The training loss on the model's fixed batch. */
  loss(): tf.Scalar;
  /** Frees parameters and data. */
  dispose(): void;
}

/** Options of {@link convAutoencoder}. */
export interface ConvAutoencoderOptions {
  /** Images per batch. @default 32 */
  batch?: number;
  /** Image height and width. @default 32 */
  size?: number;
  /** Image channels. @default 1 */
  imageChannels?: number;
  /** Base channel count. @default 32 */
  channels?: number;
  /** Channel multiplier per stage; a stride-2 downsample follows every stage but the last. @default [1, 2, 2] */
  multipliers?: number[];
  /** Latent channels. @default 4 */
  latentChannels?: number;
  /** GroupNorm groups. @default 8 */
  groups?: number;
  /** ResNet blocks per encoder stage. @default 1 */
  blocksPerStage?: number;
  /** ResNet blocks per decoder stage. @default blocksPerStage + 1 */
  decoderBlocksPerStage?: number;
  /** ResNet blocks at the lowest resolution, in encoder and decoder each. @default 1 */
  midBlocks?: number;
  /** Seed of parameters and data. @default 'ae' */
  seed?: string;
  /** Reconstruction loss: mean absolute (`'l1'`, as the tokenizer) or mean squared error. @default 'l1' */
  loss?: 'l1' | 'mse';
  /** Train on shard `index` of `count` equal slices of the batch (data-parallel workers). @default whole batch */
  shard?: { index: number; count: number };
}

/** Options of {@link transformerBlock}. */
export interface TransformerBlockOptions {
  /** Sequences per batch. @default 16 */
  batch?: number;
  /** Sequence length. @default 64 */
  seq?: number;
  /** Model width. @default 128 */
  dim?: number;
  /** Attention heads. @default 4 */
  heads?: number;
  /** MLP hidden width. @default 512 */
  mlp?: number;
  /** Seed of parameters and data. @default 'tf' */
  seed?: string;
}

class ParamStore {
  readonly map = new Map<string, tf.Variable>();
  constructor(readonly seed: string) {}
  normal(name: string, shape: number[], std: number): tf.Variable {
    const v = tf.tidy(() => tf.variable(tf.tensor(seededNormal(shape, `${this.seed}/${name}`, std), shape), true));
    this.map.set(name, v);
    return v;
  }
  const(name: string, shape: number[], value: number): tf.Variable {
    const v = tf.tidy(() => tf.variable(tf.fill(shape, value), true));
    this.map.set(name, v);
    return v;
  }
}

const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));

function groupNorm(x: tf.Tensor4D, groups: number, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const g = tf.reshape(x, [b, h * w, groups, c / groups]);
  const mean = tf.mean(g, [1, 3], true);
  const d = tf.sub(g, mean);
  const variance = tf.mean(tf.square(d), [1, 3], true);
  const n = tf.reshape(tf.mul(d, tf.rsqrt(tf.add(variance, 1e-6))), [b, h, w, c]);
  return tf.add(tf.mul(n, gamma), beta) as tf.Tensor4D;
}

/**
 * Conv autoencoder in the shape of the quickstart tokenizer backbone (`conv-resnet`): conv_in, ResNet blocks per
 * stage (GroupNorm, SiLU, 3×3 convs, 1×1 skip when channels change), stride-2 3×3 downsample with explicit (0,1)
 * padding, middle blocks, GroupNorm → SiLU → conv_out, 1×1 quant / post-quant convs (no quantizer), and a decoder
 * with one more block per stage and nearest ×2 upsampling + 3×3 conv. Loss: mean absolute reconstruction error.
 */
export function convAutoencoder(options: ConvAutoencoderOptions = {}): ReferenceModel {
  const B = options.batch ?? 32;
  const S = options.size ?? 32;
  const C = options.imageChannels ?? 1;
  const ch = options.channels ?? 32;
  const mults = options.multipliers ?? [1, 2, 2];
  const zc = options.latentChannels ?? 4;
  const G = options.groups ?? 8;
  const encBlocks = options.blocksPerStage ?? 1;
  const decBlocks = options.decoderBlocksPerStage ?? encBlocks + 1;
  const midBlocks = options.midBlocks ?? 1;
  const P = new ParamStore(options.seed ?? 'ae');
  const conv = (name: string, k: number, cin: number, cout: number) => ({
    w: P.normal(`${name}.w`, [k, k, cin, cout], Math.sqrt(1 / (k * k * cin))),
    b: P.const(`${name}.b`, [cout], 0),
  });
  const norm = (name: string, c: number) => ({ g: P.const(`${name}.g`, [c], 1), b: P.const(`${name}.b`, [c], 0) });
  type Conv = ReturnType<typeof conv>;
  type Norm = ReturnType<typeof norm>;
  const applyConv = (x: tf.Tensor4D, p: Conv, stride = 1, pad: 'same' | 'valid' = 'same') =>
    tf.add(tf.conv2d(x, p.w as tf.Tensor4D, stride, pad), p.b) as tf.Tensor4D;
  const resBlock = (name: string, cin: number, cout: number) => {
    const p = {
      n1: norm(`${name}.n1`, cin),
      c1: conv(`${name}.c1`, 3, cin, cout),
      n2: norm(`${name}.n2`, cout),
      c2: conv(`${name}.c2`, 3, cout, cout),
      skip: cin === cout ? null : conv(`${name}.skip`, 1, cin, cout),
    };
    return (x: tf.Tensor4D) => {
      let h = applyConv(silu(groupNorm(x, G, p.n1.g, p.n1.b)) as tf.Tensor4D, p.c1);
      h = applyConv(silu(groupNorm(h, G, p.n2.g, p.n2.b)) as tf.Tensor4D, p.c2);
      return tf.add(p.skip ? applyConv(x, p.skip) : x, h) as tf.Tensor4D;
    };
  };
  const widths = mults.map((m) => m * ch);
  type Block = (x: tf.Tensor4D) => tf.Tensor4D;
  const chain = (blocks: Block[]): Block => (x) => blocks.reduce((h, b) => b(h), x);
  // Encoder.
  const encIn = conv('enc.in', 3, C, ch);
  const encStages: Array<{ block: Block; down: Conv | null }> = [];
  let prev = ch;
  widths.forEach((w, i) => {
    const blocks: Block[] = [];
    for (let j = 0; j < encBlocks; j++) {
      blocks.push(resBlock(`enc.${i}.${j}`, prev, w));
      prev = w;
    }
    encStages.push({ block: chain(blocks), down: i < widths.length - 1 ? conv(`enc.${i}.down`, 3, w, w) : null });
  });
  const encMid = chain(Array.from({ length: midBlocks }, (_, j) => resBlock(`enc.mid.${j}`, prev, prev)));
  const encNorm = norm('enc.out.n', prev);
  const encOut = conv('enc.out', 3, prev, zc);
  const quantConv = conv('quant', 1, zc, zc);
  const postQuantConv = conv('post_quant', 1, zc, zc);
  // Decoder.
  const top = widths[widths.length - 1];
  const decIn = conv('dec.in', 3, zc, top);
  const decMid = chain(Array.from({ length: midBlocks }, (_, j) => resBlock(`dec.mid.${j}`, top, top)));
  const decStages: Array<{ block: Block; up: Conv | null }> = [];
  prev = top;
  for (let i = widths.length - 1; i >= 0; i--) {
    const blocks: Block[] = [];
    for (let j = 0; j < decBlocks; j++) {
      blocks.push(resBlock(`dec.${i}.${j}`, prev, widths[i]));
      prev = widths[i];
    }
    decStages.push({ block: chain(blocks), up: i > 0 ? conv(`dec.${i}.up`, 3, widths[i], widths[i]) : null });
  }
  const decNorm = norm('dec.out.n', prev);
  const decOut = conv('dec.out', 3, prev, C);

  const x = tf.tidy(() => {
    const noise = tf.tensor(seededNormal([B, S, S, C], `${P.seed}/data`), [B, S, S, C]) as tf.Tensor4D;
    const full = tf.tanh(tf.mul(tf.avgPool(noise, 3, 1, 'same'), 2)) as tf.Tensor4D;
    const shard = options.shard;
    if (!shard) return full;
    if (B % shard.count !== 0) throw new Error(`convAutoencoder: batch ${B} is not divisible into ${shard.count} shards`);
    const per = B / shard.count;
    return tf.slice(full, [shard.index * per, 0, 0, 0], [per, S, S, C]) as tf.Tensor4D;
  });
  const forward = (input: tf.Tensor4D) => {
    let h = applyConv(input, encIn);
    for (const s of encStages) {
      h = s.block(h);
      if (s.down) h = applyConv(tf.pad(h, [[0, 0], [0, 1], [0, 1], [0, 0]]), s.down, 2, 'valid');
    }
    h = encMid(h);
    const z = applyConv(applyConv(silu(groupNorm(h, G, encNorm.g, encNorm.b)) as tf.Tensor4D, encOut), quantConv);
    h = decMid(applyConv(applyConv(z, postQuantConv), decIn));
    for (const s of decStages) {
      h = s.block(h);
      if (s.up) h = applyConv(tf.image.resizeNearestNeighbor(h, [h.shape[1] * 2, h.shape[2] * 2]), s.up);
    }
    return applyConv(silu(groupNorm(h, G, decNorm.g, decNorm.b)) as tf.Tensor4D, decOut);
  };
  return {
    params: P.map,
    loss: () => {
      const d = tf.sub(forward(x), x);
      return tf.mean(options.loss === 'mse' ? tf.square(d) : tf.abs(d)) as tf.Scalar;
    },
    dispose: () => {
      x.dispose();
      for (const v of P.map.values()) v.dispose();
    },
  };
}

/**
 * One pre-LN transformer block (LayerNorm, causal softmax attention, GELU-erf MLP, residuals) regressing a fixed
 * random target with mean squared error. Heads are split with rank-4 transposes only. LayerNorm is the fused kernel
 * (`layer-norm.ts`) on `cpu`/`wasm` once the training path is installed (see {@link trainingPathInstalled}), else the
 * op graph.
 */
export function transformerBlock(options: TransformerBlockOptions = {}): ReferenceModel {
  const B = options.batch ?? 16;
  const T = options.seq ?? 64;
  const D = options.dim ?? 128;
  const H = options.heads ?? 4;
  const F = options.mlp ?? 512;
  const Dh = D / H;
  const P = new ParamStore(options.seed ?? 'tf');
  const p = {
    ln1g: P.const('ln1.g', [D], 1),
    ln1b: P.const('ln1.b', [D], 0),
    wqkv: P.normal('qkv.w', [D, 3 * D], 0.02),
    bqkv: P.const('qkv.b', [3 * D], 0),
    wo: P.normal('o.w', [D, D], 0.02),
    bo: P.const('o.b', [D], 0),
    ln2g: P.const('ln2.g', [D], 1),
    ln2b: P.const('ln2.b', [D], 0),
    w1: P.normal('mlp1.w', [D, F], 0.02),
    b1: P.const('mlp1.b', [F], 0),
    w2: P.normal('mlp2.w', [F, D], 0.02),
    b2: P.const('mlp2.b', [D], 0),
  };
  const xin = tf.tensor(seededNormal([B, T, D], `${P.seed}/x`), [B, T, D]);
  const target = tf.tensor(seededNormal([B, T, D], `${P.seed}/y`), [B, T, D]);
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
  const layerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    if (trainingPathInstalled() && fusedLayerNormAvailable()) return fusedLayerNorm(x, g, b, 1e-5);
    const mean = tf.mean(x, -1, true);
    const d = tf.sub(x, mean);
    const v = tf.mean(tf.square(d), -1, true);
    return tf.add(tf.mul(tf.mul(d, tf.rsqrt(tf.add(v, 1e-5))), g), b);
  };
  const gelu = (x: tf.Tensor) =>
    trainingPathInstalled() && fusedGeluAvailable()
      ? fusedGelu(x, 'erf')
      : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, Dh]), [0, 2, 1, 3]);
  const forward = (x: tf.Tensor) => {
    const qkv = dense(tf.reshape(layerNorm(x, p.ln1g, p.ln1b), [B * T, D]), p.wqkv, p.bqkv);
    const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(Dh)), mask));
    const o = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, D]);
    const x1 = tf.add(x, tf.reshape(dense(o, p.wo, p.bo), [B, T, D]));
    const h = dense(gelu(dense(tf.reshape(layerNorm(x1, p.ln2g, p.ln2b), [B * T, D]), p.w1, p.b1)), p.w2, p.b2);
    return tf.add(x1, tf.reshape(h, [B, T, D]));
  };
  return {
    params: P.map,
    loss: () => tf.mean(tf.square(tf.sub(forward(xin), target))) as tf.Scalar,
    dispose: () => {
      tf.dispose([xin, target, mask]);
      for (const v of P.map.values()) v.dispose();
    },
  };
}

/**
 * Whether {@link prepareWasmBackend} has run in this process (it leaves its readiness promise on `globalThis`). The
 * reference models use the package's fused kernels (LayerNorm, AdamW) only then, so the bench's "stock tfjs" columns,
 * which skip the training path, measure stock tfjs ops.
 */
export function trainingPathInstalled(): boolean {
  return (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('@ifsq/core.wasm.prepared')] != null;
}

/** Adam training over a {@link ReferenceModel}. */
export interface AdamTrainer {
  /** One step; returns the loss before the update. */
  step(): number;
  /** Frees the optimizer state. */
  dispose(): void;
}

/** Options of {@link adamTrainer}. */
export interface AdamTrainerOptions {
  /**
   * `'ifsq'`: the package's {@link AdamW} with no weight decay (exactly `torch.optim.Adam`, eps 1e-8; one fused kernel
   * per parameter on cpu and wasm). `'tfjs'`: `tf.train.adam` (eps 1e-7, ~10 ops per parameter).
   * @default 'ifsq' when {@link trainingPathInstalled}, else 'tfjs'
   */
  optimizer?: 'ifsq' | 'tfjs';
}

/** Creates an {@link AdamTrainer} for `model`. */
export function adamTrainer(model: ReferenceModel, learningRate = 1e-3, options: AdamTrainerOptions = {}): AdamTrainer {
  const vars = [...model.params.values()];
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  let apply: (grads: tf.NamedTensorMap) => void;
  let free: () => void;
  if ((options.optimizer ?? (trainingPathInstalled() ? 'ifsq' : 'tfjs')) === 'tfjs') {
    const opt = tf.train.adam(learningRate);
    apply = (grads) => opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    free = () => opt.dispose();
  } else {
    const opt = new AdamW(model.params, { lr: learningRate, weightDecay: 0 });
    apply = (grads) => opt.applyGradients(new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g])));
    free = () => opt.dispose();
  }
  return {
    step: () => {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(), vars);
        apply(grads);
        return value;
      });
      const v = loss.dataSync()[0];
      loss.dispose();
      return v;
    },
    dispose: () => free(),
  };
}
