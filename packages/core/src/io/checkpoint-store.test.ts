import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptCheckpointError, FileCheckpointStore } from './checkpoint-store.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ifsq-ckpt-'));

async function saveSample(store: FileCheckpointStore, name: string, value: number, step: number): Promise<void> {
  const w = tf.fill([2, 3], value);
  const i = tf.tensor1d([1, 2, 3], 'int32');
  await store.save(name, new Map<string, tf.Tensor>([['layer.weight', w], ['count', i]]), { step, rng: [1, 2, 3, 4, 5] });
  tf.dispose([w, i]);
}

describe('FileCheckpointStore', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips tensors and metadata without leaking tensors', async () => {
    const store = new FileCheckpointStore(join(tempDir(), 'checkpoints'));
    const before = tf.memory().numTensors;
    await saveSample(store, 'last', 0.5, 7);
    expect(store.has('last')).toBe(true);
    const loaded = await store.load('last');
    expect(loaded?.meta).toEqual({ step: 7, rng: [1, 2, 3, 4, 5] });
    expect(loaded?.tensors.get('layer.weight')?.shape).toEqual([2, 3]);
    expect([...(loaded?.tensors.get('layer.weight')?.dataSync() ?? [])]).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(loaded?.tensors.get('count')?.dtype).toBe('int32');
    tf.dispose([...(loaded?.tensors.values() ?? [])]);
    expect(tf.memory().numTensors).toBe(before);
    expect(readdirSync(store.dir).sort()).toEqual(['last.json', 'last.safetensors']);
    const sidecar = JSON.parse(readFileSync(join(store.dir, 'last.json'), 'utf8')) as { sha256: string; tensors: string };
    expect(sidecar.tensors).toBe('last.safetensors');
    expect(sidecar.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers undefined / false for a checkpoint that was never saved', async () => {
    const store = new FileCheckpointStore(tempDir());
    expect(store.has('nothing')).toBe(false);
    await expect(store.load('nothing')).resolves.toBeUndefined();
  });

  it('detects a pair torn between the tensor write and the sidecar write', async () => {
    const store = new FileCheckpointStore(tempDir());
    await saveSample(store, 'last', 1, 1);
    const oldSidecar = readFileSync(join(store.dir, 'last.json'));
    await saveSample(store, 'last', 2, 2);
    // A crash after the new tensor file but before the new sidecar leaves the old sidecar next to new tensors.
    writeFileSync(join(store.dir, 'last.json'), oldSidecar);
    expect(store.has('last')).toBe(false);
    const error = await store.load('last').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptCheckpointError);
    expect((error as Error).message).toContain(join(store.dir, 'last.safetensors'));
    expect((error as Error).message).toContain('torn');
  });

  it('detects a tensor file without sidecar and a sidecar without tensor file', async () => {
    const store = new FileCheckpointStore(tempDir());
    await saveSample(store, 'a', 1, 1);
    rmSync(join(store.dir, 'a.json'));
    expect(store.has('a')).toBe(false);
    await expect(store.load('a')).rejects.toThrow(/a\.safetensors has no sidecar .*a\.json/);
    await saveSample(store, 'b', 1, 1);
    rmSync(join(store.dir, 'b.safetensors'));
    expect(store.has('b')).toBe(false);
    await expect(store.load('b')).rejects.toThrow(/b\.safetensors is missing/);
  });

  it('rejects names that would leave the checkpoint folder', async () => {
    const store = new FileCheckpointStore(tempDir());
    expect(() => store.has('../x')).toThrow(/checkpoint name/);
    await expect(store.load('a/b')).rejects.toThrow(/checkpoint name/);
  });
});
