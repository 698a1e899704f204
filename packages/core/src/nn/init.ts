import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../contracts/services.js';

/**
 * Fan sizes of a weight, as PyTorch computes them: `fanIn = inputs × receptive field`,
 * `fanOut = outputs × receptive field`.
 */
export interface Fans {
  /** Number of inputs feeding one output unit. */
  fanIn: number;
  /** Number of outputs one input unit feeds. */
  fanOut: number;
}

/**
 * Produces an initial tensor of `shape`. Values are generated in JavaScript from `rng`, so the same seed gives
 * bit-identical weights on every tfjs backend.
 */
export type Initializer = (shape: readonly number[], fans: Fans, rng: Rng) => tf.Tensor;

/** Names of the built-in initialisers accepted wherever an {@link Initializer} is. */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'normal'
  | 'xavierUniform'
  | 'torchDefaultWeight'
  | 'torchDefaultBias';

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`Initializer: invalid shape [${shape.join(',')}]`);
    n *= d;
  }
  return n;
}

/** A float32 tensor of `shape` filled with `low + (high − low)·u`, u drawn from `rng.next()` in row-major order. */
export function uniformFromRng(rng: Rng, shape: readonly number[], low: number, high: number): tf.Tensor {
  const values = new Float32Array(sizeOf(shape));
  const span = high - low;
  for (let i = 0; i < values.length; i++) values[i] = low + span * rng.next();
  return tf.tensor(values, [...shape], 'float32');
}

/** A float32 tensor of `shape` filled with `mean + std·n`, n drawn from `rng.normal()` in row-major order. */
export function normalFromRng(rng: Rng, shape: readonly number[], mean: number, std: number): tf.Tensor {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * rng.normal();
  return tf.tensor(values, [...shape], 'float32');
}

/** All zeros. */
export const zerosInit: Initializer = (shape) => tf.zeros([...shape], 'float32');

/** All ones. */
export const onesInit: Initializer = (shape) => tf.ones([...shape], 'float32');

/**
 * Normal distribution `N(mean, std²)`, by default `N(0, 0.02²)` (the GPT/DiT convention).
 * @param std standard deviation. @default 0.02
 * @param mean mean. @default 0
 */
export function normalInit(std = 0.02, mean = 0): Initializer {
  return (shape, _fans, rng) => normalFromRng(rng, shape, mean, std);
}

/**
 * Xavier/Glorot uniform: `U(−b, b)` with `b = gain·√(6 / (fanIn + fanOut))` (torch.nn.init.xavier_uniform_).
 * @param gain scale factor. @default 1
 */
export function xavierUniformInit(gain = 1): Initializer {
  return (shape, { fanIn, fanOut }, rng) => {
    const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
    return uniformFromRng(rng, shape, -bound, bound);
  };
}

/**
 * PyTorch's default weight init of `nn.Linear` and `nn.Conv2d`: kaiming-uniform with `a = √5`, which works out to
 * `U(−1/√fanIn, 1/√fanIn)`.
 */
export const torchDefaultWeightInit: Initializer = (shape, { fanIn }, rng) => {
  const gain = Math.sqrt(2 / (1 + 5)); // leaky-relu gain for a = √5
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fanIn));
  return uniformFromRng(rng, shape, -bound, bound);
};

/** PyTorch's default bias init of `nn.Linear` and `nn.Conv2d`: `U(−1/√fanIn, 1/√fanIn)` (zeros when fanIn is 0). */
export const torchDefaultBiasInit: Initializer = (shape, { fanIn }, rng) => {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniformFromRng(rng, shape, -bound, bound);
};

/** Turn an initializer name or function into a function. */
export function resolveInitializer(init: Initializer | InitializerName): Initializer {
  if (typeof init === 'function') return init;
  switch (init) {
    case 'zeros':
      return zerosInit;
    case 'ones':
      return onesInit;
    case 'normal':
      return normalInit();
    case 'xavierUniform':
      return xavierUniformInit();
    case 'torchDefaultWeight':
      return torchDefaultWeightInit;
    case 'torchDefaultBias':
      return torchDefaultBiasInit;
    default:
      throw new Error(
        `Unknown initializer "${String(init)}": expected zeros, ones, normal, xavierUniform, torchDefaultWeight or torchDefaultBias`,
      );
  }
}
