import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from '../backend/wasm/index.js';
import { adamwProblem, expectCloseToFixture, loadNnFixtures } from '../../test/fixtures/nn/fixtures.js';
import { FUSED_ADAMW_KERNEL, fusedAdamWAvailable } from './adamw-kernel.js';
import { AdamW, type AdamWOptions } from './adamw.js';

const fx = loadNnFixtures().adamw;

beforeAll(async () => {
  await prepareWasmBackend(); // its Identity shares buffers, so `tf.clone` below really aliases on wasm too
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const problem = () => adamwProblem(fx);

/** Counts calls of the fused kernel while `fn` runs. */
async function fusedCalls(fn: () => void): Promise<number> {
  const profile = await tf.profile(fn);
  return profile.kernels.filter((k) => k.name === FUSED_ADAMW_KERNEL).length;
}

describe.each(['cpu', 'wasm'])('fused AdamW on %s', (backend) => {
  it('matches torch.optim.AdamW with weight decay over 5 steps in one kernel per parameter', async () => {
    await tf.setBackend(backend);
    expect(fusedAdamWAvailable()).toBe(true);
    const { params, step, dispose } = problem();
    const opt = new AdamW(params, fx.options);
    for (const [i, expected] of fx.steps.entries()) {
      let loss = 0;
      if (i === 0) expect(await fusedCalls(() => (loss = step(opt)))).toBe(2);
      else loss = step(opt);
      expect(loss).toBeCloseTo(expected.loss, 4);
      expectCloseToFixture(params.get('p1')!, expected.p1, 1e-6);
      expectCloseToFixture(params.get('p2')!, expected.p2, 1e-6);
    }
    opt.dispose();
    dispose();
  });

  it('agrees with the op graph within float32 rounding, with and without weight decay', async () => {
    await tf.setBackend(backend);
    for (const options of [fx.options as AdamWOptions, { lr: 0.05, weightDecay: 0, betas: [0.8, 0.99] as const }]) {
      const a = problem();
      const b = problem();
      const fused = new AdamW(a.params, options);
      const graph = new AdamW(b.params, { ...options, fused: false });
      expect(await fusedCalls(() => b.step(graph))).toBe(0);
      a.step(fused);
      for (let i = 0; i < 6; i++) {
        a.step(fused);
        b.step(graph);
      }
      for (const [name, p] of a.params) {
        const q = b.params.get(name)!;
        for (const [x, y] of [[p, q], ...[...fused.namedState()].filter(([k]) => k.endsWith(`.${name}`)).map(([k, t]) => [t, graph.namedState().get(k)!])]) {
          const xs = x.dataSync();
          const ys = y.dataSync();
          // The fused loop rounds once per value instead of once per op: a few float32 ulps apart at most.
          const scale = Math.max(...Array.from(ys, Math.abs));
          for (let j = 0; j < xs.length; j++) expect(Math.abs(xs[j] - ys[j])).toBeLessThanOrEqual(1e-6 * Math.abs(ys[j]) + 1e-6 * scale);
        }
      }
      fused.dispose();
      graph.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it('never changes a tensor that shares a parameter buffer or a value read before the step', async () => {
    await tf.setBackend(backend);
    const { params, step, dispose } = problem();
    const opt = new AdamW(params, fx.options);
    step(opt);
    const p1 = params.get('p1')!;
    const shared = tf.clone(p1); // shares the buffer on cpu and (with the training path) on wasm
    const read = p1.dataSync();
    const before = Array.from(read);
    step(opt);
    expect(Array.from(shared.dataSync())).toEqual(before);
    expect(Array.from(read)).toEqual(before);
    expect(Array.from(p1.dataSync())).not.toEqual(before);
    shared.dispose();
    opt.dispose();
    dispose();
  });

  it('creates no tensors and no backend buffers per step', async () => {
    await tf.setBackend(backend);
    const { params, step, dispose } = problem();
    const opt = new AdamW(params, fx.options);
    step(opt);
    const id = params.get('p1')!.dataId;
    step(opt);
    expect(params.get('p1')!.dataId).not.toBe(id); // fresh buffers, never in place (see adamw-kernel.ts)
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step(opt);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    opt.dispose();
    dispose();
  });
});

describe('fused AdamW on wasm', () => {
  it('gives the same bits as the JS loop on cpu (the SIMD update keeps its float64 operations and their order)', async () => {
    const n = 1001; // odd: the two-lane loop and its tail
    const seeded = (k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + k * 78.233) * 3);
    const [p, m, g] = [1, 2, 3].map(seeded);
    const v = seeded(4).map(Math.abs);
    const attrs = { decay: 0.999, beta1: 0.9, beta2: 0.999, stepSize: 1e-3 / (1 - 0.9 ** 3), bias2Sqrt: Math.sqrt(1 - 0.999 ** 3), eps: 1e-8 };
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const inputs = { param: tf.tensor(p), m: tf.tensor(m), v: tf.tensor(v), grad: tf.tensor(g) };
      const outs = tf.engine().runKernel(FUSED_ADAMW_KERNEL, inputs, attrs) as tf.Tensor[];
      const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([...outs, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
      return values.map((a) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length)));
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm).toEqual(cpu);
    expect(cpu[0]).not.toEqual(Array.from(new Int32Array(p.buffer))); // the update moved the parameters
  });
});
