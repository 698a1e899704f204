import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../contracts/services.js';
import { BackendNotInstalledError, selectBackend } from './select.js';

function recordingLogger(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const make = (): Logger => ({
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    child: () => make(),
  });
  return Object.assign(make(), { lines });
}

const absent = (specifier: string): Promise<unknown> =>
  Promise.reject(new Error(`Cannot find package '${specifier}' imported from test`));

describe('selectBackend', () => {
  afterEach(async () => {
    await tf.setBackend('cpu');
  });

  it('explains how to install a missing tensorflow-gpu backend', async () => {
    const error = await selectBackend('tensorflow-gpu', { training: true, importModule: absent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendNotInstalledError);
    const message = (error as Error).message;
    expect(message).toContain('pnpm add @tensorflow/tfjs-node-gpu@4.22.0');
    expect(message).toContain('libtensorflow');
    expect(message).toContain("Cannot find package '@tensorflow/tfjs-node-gpu'");
  });

  it('explains how to install a missing tensorflow backend (the real, uninstalled package)', async () => {
    await expect(selectBackend('tensorflow', { training: false })).rejects.toThrow(
      /pnpm add @tensorflow\/tfjs-node@4\.22\.0.*libtensorflow/s,
    );
  });

  it('starts wasm on the requested threads and records the count and what runs the products in the info and the log', async () => {
    const logger = recordingLogger();
    const info = await selectBackend('auto', { training: true, logger, importModule: absent, wasmThreads: 2 });
    expect(info).toMatchObject({ name: 'wasm', threads: 2 });
    expect(info.reason).toMatch(/; 2 wasm threads; matrix products on ifsq's GEMM \(2 thread\(s\), fused multiply-add, in place\)$/);
    expect(logger.lines.find((l) => l.level === 'info')?.fields).toMatchObject({ backend: 'wasm', threads: 2 });
  });

  it('auto treats failing native imports as absent, logs why, and trains on the wasm path', async () => {
    const logger = recordingLogger();
    const tried: string[] = [];
    const info = await selectBackend('auto', {
      training: true,
      logger,
      importModule: (s) => {
        tried.push(s);
        return s.endsWith('-gpu') ? absent(s) : Promise.reject(new Error('The specified module could not be found. tfjs_binding.node'));
      },
    });
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    const why = logger.lines.filter((l) => l.level === 'debug').map((l) => String(l.fields?.why));
    expect(why[0]).toContain('Cannot find package');
    expect(why[1]).toContain('tfjs_binding.node');
    // The trainable wasm path registers every backward kernel a training run needs, so wasm wins over cpu.
    expect(info).toMatchObject({ name: 'wasm', requested: 'auto' });
    expect(info.reason).toMatch(/no native TensorFlow binding.*training wasm registers all \d+ kernels/);
    expect(tf.getKernelsForBackend('wasm').some((x) => x.kernelName === 'Conv2DBackpropFilter')).toBe(true);
    expect(tf.getBackend()).toBe(info.name);
    expect(logger.lines.some((l) => l.level === 'info' && l.msg.includes(info.reason))).toBe(true);
  });

  it('auto picks wasm for an inference-only run', async () => {
    const info = await selectBackend('auto', { training: false, importModule: absent });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('honours an explicit cpu choice', async () => {
    const info = await selectBackend('cpu', { training: true });
    expect(info).toEqual({ name: 'cpu', requested: 'cpu', reason: 'cpu was requested explicitly' });
  });

  it('rejects an unknown choice naming the allowed values', async () => {
    await expect(selectBackend('gpu' as never, { training: true })).rejects.toThrow(/backend: expected one of auto/);
  });
});
