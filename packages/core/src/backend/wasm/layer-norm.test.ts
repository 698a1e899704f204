import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { fusedLayerNorm, fusedLayerNormAvailable, LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL, setLayerNormFusion } from './layer-norm.js';
import { closeness, seededNormal } from './test-helpers.js';

/** The op-graph LayerNorm the fused kernels replace (biased variance). */
function opGraphLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

const shape = [3, 5, 24];
const d = shape[2];
const inputs = () => ({
  // An offset and scale far from 0/1 exercise the centring.
  x: tf.add(tf.mul(tf.tensor(seededNormal(shape, 'ln/x'), shape), 3), 7),
  gamma: tf.tensor(seededNormal([d], 'ln/g', 0.5), [d]),
  beta: tf.tensor(seededNormal([d], 'ln/b'), [d]),
  weights: tf.tensor(seededNormal(shape, 'ln/w'), shape),
});

beforeAll(async () => {
  await prepareWasmBackend();
});

afterAll(async () => {
  setLayerNormFusion(true);
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'])('fused LayerNorm on %s', (backend) => {
  it('normalises [1, 2, 3, 4] to (x − 2.5)/√(1.25 + eps), then scales and shifts', async () => {
    await tf.setBackend(backend);
    expect(fusedLayerNormAvailable()).toBe(true);
    const eps = 1e-5;
    const y = tf.tidy(() => fusedLayerNorm(tf.tensor([[1, 2, 3, 4]]), tf.tensor([1, 2, 1, 1]), tf.tensor([0, 0, 0, 10]), eps));
    const s = Math.sqrt(1.25 + eps);
    const expected = [-1.5 / s, (2 * -0.5) / s, 0.5 / s, 1.5 / s + 10];
    expect(closeness(y.dataSync(), expected, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    y.dispose();
  });

  it('matches the op graph forward and its gradients for x, gamma and beta (tf.grads), in one kernel each way', async () => {
    await tf.setBackend(backend);
    const t = inputs();
    const eps = 1e-5;
    const lossOf = (norm: typeof opGraphLayerNorm) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(norm(x, g, b, eps), t.weights));
    const fusedNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, e: number) => fusedLayerNorm(x, g, b, e);
    const [yFused, yGraph] = [fusedNorm, opGraphLayerNorm].map((f) => tf.tidy(() => f(t.x, t.gamma, t.beta, eps)));
    expect(closeness(yFused.dataSync(), yGraph.dataSync(), 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    let fused: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      fused = tf.grads(lossOf(fusedNorm))([t.x, t.gamma, t.beta]);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n === LAYER_NORM_KERNEL)).toHaveLength(1);
    expect(names.filter((n) => n === LAYER_NORM_GRAD_KERNEL)).toHaveLength(1);
    const graph = tf.grads(lossOf(opGraphLayerNorm))([t.x, t.gamma, t.beta]);
    for (let i = 0; i < 3; i++) {
      expect(fused[i].shape).toEqual(graph[i].shape);
      expect(closeness(fused[i].dataSync(), graph[i].dataSync(), 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    }
    tf.dispose([yFused, yGraph, ...fused, ...graph, ...Object.values(t)]);
  });

  it('leaks no tensor over forward and backward', async () => {
    await tf.setBackend(backend);
    const t = inputs();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const gs = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(fusedLayerNorm(x, g, b, 1e-5))))([
        t.x,
        t.gamma,
        t.beta,
      ]);
      tf.dispose(gs);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(t));
  });

  it('reports unavailable when fusion is switched off, and rejects a gamma of the wrong width', async () => {
    await tf.setBackend(backend);
    setLayerNormFusion(false);
    expect(fusedLayerNormAvailable()).toBe(false);
    setLayerNormFusion(true);
    const x = tf.zeros([2, 4]);
    const g = tf.ones([3]);
    expect(() => fusedLayerNorm(x, g, g, 1e-5)).toThrow(/gamma \[3\] must be \[4\]/);
    tf.dispose([x, g]);
  });
});
