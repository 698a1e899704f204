import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prepareWasmBackend } from './prepare.js';
import { threadedGemm } from './gemm-pool.js';
import { nativeKernels } from './native-kernels.js';
import { adamTrainer, convAutoencoder, type ReferenceModel, transformerBlock } from './reference-models.js';
import { defaultWasmThreads, initWasmThreads, MAX_WASM_THREADS, wasmBackendStarted } from './threads.js';

const coreDir = fileURLToPath(new URL('../../..', import.meta.url));
const distIndex = new URL('../../../dist/backend/wasm/index.js', import.meta.url);
const distModels = new URL('../../../dist/backend/wasm/reference-models.js', import.meta.url);
const distGemm = new URL('../../../dist/backend/wasm/gemm-pool.js', import.meta.url);

/**
 * Five training steps of a small conv autoencoder and five of a transformer block (its products on the threaded
 * GEMM) on wasm with `threads`, in a fresh Node process (built output).
 */
function lossesInChild(threads: number): { losses: number[]; threads: number; gemmThreads?: number; status: number | null; ms: number } {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    const { prepareWasmBackend } = await import(${JSON.stringify(distIndex.href)});
    const { threadedGemm } = await import(${JSON.stringify(distGemm.href)});
    const { adamTrainer, convAutoencoder, transformerBlock } = await import(${JSON.stringify(distModels.href)});
    const info = await prepareWasmBackend({ threads: ${threads} });
    await tf.setBackend('wasm');
    const model = convAutoencoder({ batch: 8, size: 16, imageChannels: 1, channels: 16, multipliers: [1, 2], groups: 4 });
    const trainer = adamTrainer(model, 1e-3);
    const losses = [];
    for (let i = 0; i < 5; i++) losses.push(trainer.step());
    const block = transformerBlock({ batch: 4, seq: 32, dim: 64, heads: 2, mlp: 128 });
    const blockTrainer = adamTrainer(block, 1e-3);
    for (let i = 0; i < 5; i++) losses.push(blockTrainer.step());
    process.stdout.write(JSON.stringify({ losses, threads: info.threads, gemmThreads: threadedGemm()?.threads }) + '\\n');`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: coreDir, encoding: 'utf8', timeout: 90_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as { losses: number[]; threads: number; gemmThreads?: number }), status: r.status, ms };
}

/** Four Adam steps of a fresh `build()` on wasm and on cpu: the losses agree to 1e-4 and no tensor leaks. */
async function expectWasmTrainsLikeCpu(build: () => ReferenceModel): Promise<void> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const n0 = tf.memory().numTensors;
    const model = build();
    const trainer = adamTrainer(model, 1e-3);
    const losses = Array.from({ length: 4 }, () => trainer.step());
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    return losses;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  for (let i = 0; i < cpu.length; i++) expect(Math.abs(wasm[i] - cpu[i])).toBeLessThan(1e-4 * Math.abs(cpu[i]));
  expect(wasm[3]).toBeLessThan(wasm[0]);
}

describe('wasm threads', () => {
  it('defaults to the logical cores, at most the pool size', () => {
    expect(defaultWasmThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultWasmThreads()).toBeLessThanOrEqual(MAX_WASM_THREADS);
  });

  it('falls back to one thread, with the reason, when the threaded script is missing', async () => {
    const info = await initWasmThreads(2, { threadedScript: '/nonexistent/tfjs-backend-wasm-threaded-simd.js' });
    expect(info).toEqual({
      requested: 2,
      threads: 1,
      reason: "tfjs' threaded wasm script /nonexistent/tfjs-backend-wasm-threaded-simd.js does not exist",
    });
    expect(wasmBackendStarted()).toBe(false); // nothing was started
  });

  it('rejects a thread count that is not a whole number ≥ 1', async () => {
    await expect(initWasmThreads(0)).rejects.toThrow('wasm threads: expected a whole number ≥ 1, got 0');
  });

  it('starts the wasm backend on two threads that train like the cpu backend, without leaking tensors', async () => {
    await tf.setBackend('cpu');
    const info = await prepareWasmBackend({ threads: 2 });
    expect(wasmBackendStarted()).toBe(true);
    expect(tf.getBackend()).toBe('cpu'); // starting the threaded backend left the active backend alone
    expect(info).toEqual({
      requested: 2,
      threads: 2,
      reason: '2 wasm threads',
      products: "matrix products on ifsq's GEMM (2 thread(s), fused multiply-add, in place)",
    });
    await expectWasmTrainsLikeCpu(() => convAutoencoder({ batch: 4, size: 16, imageChannels: 1, channels: 16, multipliers: [1, 2], groups: 4 }));
  });

  it('runs the GEMM and the SIMD kernels of the threaded backend inside its memory, with transformer losses like the cpu backend', async () => {
    await prepareWasmBackend({ threads: 2 });
    const backend = (tf.engine() as unknown as { registry: Record<string, { wasm: { wasmMemory: unknown } }> }).registry.wasm;
    expect(threadedGemm()?.threads).toBe(2);
    expect(threadedGemm()?.runsIn(backend.wasm.wasmMemory)).toBe(true);
    expect(nativeKernels()?.runsIn(backend.wasm.wasmMemory)).toBe(true);
    await expectWasmTrainsLikeCpu(() => transformerBlock({ batch: 4, seq: 32, dim: 64, heads: 2, mlp: 128 }));
  });

  it('reports the running thread count when asked again after the backend started', async () => {
    const again = await initWasmThreads(4);
    expect(again).toEqual({ requested: 4, threads: 2, reason: 'the wasm backend was already running with 2 thread(s) in this process' });
  });

  it.skipIf(!existsSync(distIndex))(
    'gives bit-identical losses on one and two threads, and the process exits by itself when done',
    () => {
      const one = lossesInChild(1);
      const two = lossesInChild(2);
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect([one.gemmThreads, two.gemmThreads]).toEqual([1, 2]); // the GEMM's workers started (ESM parent included)
      // XNNPACK and the GEMM split outputs, not sums, across threads.
      expect(two.losses).toEqual(one.losses);
      expect(two.losses[4]).toBeLessThan(two.losses[0]);
      expect(two.losses[9]).toBeLessThan(two.losses[5]);
      expect(two.status).toBe(0); // the unref'd pool workers did not keep the child alive until the timeout
    },
  );
});
