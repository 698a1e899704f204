import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { prepareWasmBackend } from '../backend/wasm/index.js';
import { AdamW } from '../optim/adamw.js';
import { l1Loss, TinyNet, tinyBatch } from '../../test/fixtures/nn/tiny-net.js';
import { trainStep } from './train-step.js';

async function lossCurve(backend: string, steps: number): Promise<{ losses: number[]; tensorDelta: number }> {
  await tf.setBackend(backend);
  const net = new TinyNet(1);
  const x = tinyBatch();
  const optimizer = new AdamW(net.namedParameters(), { lr: 1e-2, weightDecay: 0.01 });
  const losses = [trainStep({ lossFn: l1Loss(net, x), optimizer, clipNorm: 1 }).loss];
  const count = tf.memory().numTensors;
  for (let i = 1; i < steps; i++) losses.push(trainStep({ lossFn: l1Loss(net, x), optimizer, clipNorm: 1 }).loss);
  const tensorDelta = tf.memory().numTensors - count;
  optimizer.dispose();
  net.dispose();
  x.dispose();
  return { losses, tensorDelta };
}

describe('trainStep on wasm', () => {
  it('follows the cpu loss curve of a small conv net (with the trainable wasm kernels) without leaking', async () => {
    await prepareWasmBackend();
    const cpu = await lossCurve('cpu', 10);
    const wasm = await lossCurve('wasm', 10);
    expect(wasm.tensorDelta).toBe(0);
    wasm.losses.forEach((loss, i) => expect(loss).toBeCloseTo(cpu.losses[i], 4));
    expect(wasm.losses[9]).toBeLessThan(wasm.losses[0]);
  });
});
