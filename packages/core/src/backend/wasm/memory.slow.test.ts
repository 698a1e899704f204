import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './index.js';
import { threadedGemm } from './gemm-pool.js';
import { nativeKernels } from './native-kernels.js';
import { adamTrainer, convAutoencoder, transformerBlock, type ReferenceModel } from './reference-models.js';

interface WasmBackendStats {
  numDataIds(): number;
  wasm: { HEAPU8: Uint8Array };
}

/** Trains `steps` Adam steps on wasm and samples tensor count, data ids and heap size after warm-up and at the end. */
async function footprint(build: () => ReferenceModel, steps: number) {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendStats;
  const model = build();
  const trainer = adamTrainer(model);
  const warmup = 5;
  for (let i = 0; i < warmup; i++) trainer.step();
  const after = () => ({ tensors: tf.memory().numTensors, dataIds: backend.numDataIds(), heap: backend.wasm.HEAPU8.byteLength });
  const start = after();
  const losses: number[] = [];
  for (let i = warmup; i < steps; i++) losses.push(trainer.step());
  const end = after();
  trainer.dispose();
  model.dispose();
  return { start, end, losses };
}

beforeAll(async () => {
  // Two threads, as runs use: the GEMM and the SIMD kernels then work inside tfjs' heap, so its size is their growth too.
  await prepareWasmBackend({ threads: 2 });
});

describe('no growth over 100 training steps on the wasm path', () => {
  it('conv autoencoder: tensors, wasm data ids and wasm heap stay constant after warm-up', async () => {
    const { start, end, losses } = await footprint(
      () => convAutoencoder({ batch: 2, size: 8, channels: 4, multipliers: [1, 2, 2], groups: 2 }),
      100,
    );
    expect(end).toEqual(start);
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  it('runs the GEMM and the SIMD kernels inside the backend heap it watches', async () => {
    await tf.setBackend('wasm');
    const memory = (tf.backend() as unknown as { wasm: { wasmMemory: unknown } }).wasm.wasmMemory;
    expect(threadedGemm()?.runsIn(memory)).toBe(true);
    expect(nativeKernels()?.runsIn(memory)).toBe(true);
  });

  it('transformer block: tensors, wasm data ids and wasm heap stay constant after warm-up', async () => {
    const { start, end, losses } = await footprint(() => transformerBlock({ batch: 2, seq: 16, dim: 32, heads: 4, mlp: 64 }), 100);
    expect(end).toEqual(start);
    expect(losses.every(Number.isFinite)).toBe(true);
  });
});
