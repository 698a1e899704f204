import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { adamTrainer, convAutoencoder, transformerBlock, type ReferenceModel } from './reference-models.js';

async function trajectory(backend: string, build: () => ReferenceModel, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const n0 = tf.memory().numTensors;
  const model = build();
  const trainer = adamTrainer(model, 1e-3);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(trainer.step());
  trainer.dispose();
  model.dispose();
  expect(tf.memory().numTensors).toBe(n0);
  return losses;
}

function expectSameTrajectory(wasm: number[], cpu: number[]): void {
  expect(wasm).toHaveLength(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    // float32 rounding differs between backends (summation order) and compounds over Adam steps; 1e-4 relative is far below the
    // step-to-step change of the loss.
    expect(Math.abs(wasm[i] - cpu[i])).toBeLessThan(1e-4 * Math.abs(cpu[i]) + 1e-6);
  }
  expect(cpu[cpu.length - 1]).toBeLessThan(cpu[0]);
}

beforeAll(async () => {
  // Two threads, as runs use (threaded GEMM, SIMD kernels in place); 1 and 2 threads give identical losses
  // (threads.slow.test.ts).
  await prepareWasmBackend({ threads: 2 });
});

describe('training on the wasm path follows the cpu trajectory', () => {
  it('conv autoencoder (tokenizer backbone shape): 20 Adam steps, same losses as cpu', async () => {
    // MSE and a 4×4 deepest level keep the trajectory well conditioned (L1's sign gradient and 2×2 GroupNorm
    // statistics amplify float32 rounding differences chaotically).
    const build = () => convAutoencoder({ batch: 2, size: 8, channels: 4, multipliers: [1, 2], groups: 2, loss: 'mse' });
    const cpu = await trajectory('cpu', build, 20);
    const wasm = await trajectory('wasm', build, 20);
    expectSameTrajectory(wasm, cpu);
  });

  it('transformer block: 20 Adam steps, same losses as cpu', async () => {
    const build = () => transformerBlock({ batch: 2, seq: 16, dim: 32, heads: 4, mlp: 64 });
    const cpu = await trajectory('cpu', build, 20);
    const wasm = await trajectory('wasm', build, 20);
    expectSameTrajectory(wasm, cpu);
  });
});
