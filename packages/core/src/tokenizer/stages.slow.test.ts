import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../io/safetensors.js';
import { runPipeline } from '../run/run-pipeline.js';
import { pooledPixels, tinyDataPlugin, tinyPipeline } from '../../test/helpers/tiny-tokenizer.js';
import { encodeStage, evaluateTokenizerStage, trainTokenizerStage } from './plugins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quiet = { write: () => true };
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ifsq-tok-'));
const train = (o: Record<string, unknown>) =>
  [trainTokenizerStage, { holdout: 16, batchSize: 8, validateEvery: 0, checkpointEvery: 100, lr: 3e-3, warmupSteps: 2, ...o }] as [typeof trainTokenizerStage, Record<string, unknown>];

interface TrainRecord {
  stage: string;
  step: number;
  split: string;
  values: Record<string, number>;
}

function trainRecords(runDir: string): TrainRecord[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrainRecord)
    .filter((r) => r.stage === 'train-tokenizer' && r.split === 'train');
}

describe('tokenizer stages', () => {
  it('train, evaluate and encode a tiny tokenizer end to end (wasm path) and write a consistent token file', async () => {
    const dir = tempDir();
    const p = tinyPipeline(dir, [train({ steps: 6, logEvery: 2 }), [evaluateTokenizerStage, { gridImages: 4 }], [encodeStage, { outputs: ['codes', 'indices'] }]], { backend: 'wasm' });
    const result = await runPipeline(p, { stderr: quiet });
    expect(result.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    const records = trainRecords(result.runDir);
    expect(records.map((r) => r.step)).toEqual([2, 4, 6]);
    for (const r of records) expect(Number.isFinite(r.values.loss)).toBe(true);
    expect(records[0].values.mean_abs_code).toBeGreaterThanOrEqual(0);

    const tokens = decodeSafetensors(readFileSync(join(result.runDir, 'encode', 'tokens.safetensors')), 'tokens');
    const codes = tokens.tensors.get('codes')!;
    const indices = tokens.tensors.get('indices')!;
    expect(codes.shape).toEqual([96, 4, 4, 2]);
    expect(indices.shape).toEqual([96, 4, 4]);
    // indices are the little-endian base-3 digits of the codes
    const recount = tf.tidy(() => tf.cast(tf.sum(tf.mul(tf.add(codes, 1), tf.tensor1d([1, 3])), -1), 'int32'));
    expect([...recount.dataSync()]).toEqual([...indices.dataSync()]);
    expect(tf.sum(tokens.tensors.get('holdout')!).dataSync()[0]).toBe(16);
    expect(JSON.parse(tokens.metadata.spec).kind).toBe('discrete');
    tf.dispose([recount, ...tokens.tensors.values()]);
    const report = readFileSync(join(result.runDir, 'report.md'), 'utf8');
    expect(report).toContain('Tokenizer evaluation');
    expect(report).toContain('evaluate-tokenizer/reconstructions.png');
  });

  it('resumes an interrupted training run onto exactly the loss curve of an uninterrupted one (cpu)', async () => {
    const straight = await runPipeline(tinyPipeline(tempDir(), [train({ steps: 7, logEvery: 1 })]), { stderr: quiet });
    const expected = trainRecords(straight.runDir).map((r) => r.values.loss);
    expect(expected).toHaveLength(7);

    const dir = tempDir();
    const controller = new AbortController();
    const interrupted = tinyPipeline(dir, [train({ steps: 7, logEvery: 1 })], {
      data: tinyDataPlugin(96, { controller, abortAfterBatches: 3 }),
    });
    const first = await runPipeline(interrupted, { stderr: quiet, signal: controller.signal });
    expect(first.stages[0].status).toBe('interrupted');
    expect(trainRecords(first.runDir)).toHaveLength(3);

    const resumed = await runPipeline(tinyPipeline(dir, [train({ steps: 7, logEvery: 1 })]), { stderr: quiet, resume: true });
    expect(resumed.stages[0].status).toBe('completed');
    const losses = trainRecords(resumed.runDir).map((r) => r.values.loss);
    expect(losses).toEqual(expected);
  });

  it('keeps the tensor count constant across 50 training steps (wasm path)', async () => {
    const result = await runPipeline(tinyPipeline(tempDir(), [train({ steps: 50, logEvery: 1, emaDecay: 0.9 })], { backend: 'wasm' }), { stderr: quiet });
    const counts = trainRecords(result.runDir).map((r) => r.values.num_tensors);
    expect(counts).toHaveLength(50);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('adds the perceptual term of the tokenizer.perceptual feature network to the loss', async () => {
    const p = tinyPipeline(tempDir(), [train({ steps: 2, logEvery: 1, perceptualWeight: 0.5, l1Weight: 0 })], {
      backend: 'wasm',
      perceptual: pooledPixels,
    });
    const records = trainRecords((await runPipeline(p, { stderr: quiet })).runDir);
    for (const r of records) {
      expect(r.values.perceptual).toBeGreaterThan(0);
      // with l1 off and a zero auxiliary loss, the total is exactly 0.5 × perceptual
      expect(r.values.loss).toBeCloseTo(0.5 * r.values.perceptual, 5);
    }
  });

  it('writes the per-channel mean/std of the codes as the latent scale when asked to measure it', async () => {
    const p = tinyPipeline(tempDir(), [train({ steps: 2 }), [encodeStage, { scale: 'measure' }]], { backend: 'wasm' });
    const result = await runPipeline(p, { stderr: quiet });
    const tokens = decodeSafetensors(readFileSync(join(result.runDir, 'encode', 'tokens.safetensors')), 'tokens');
    const spec = JSON.parse(tokens.metadata.spec);
    expect(spec.scale.kind).toBe('per-channel');
    const codes = tokens.tensors.get('codes')!;
    const { mean, variance } = tf.moments(tf.reshape(codes, [-1, 2]), 0);
    const m = mean.dataSync();
    const sd = variance.dataSync();
    spec.scale.mean.forEach((v: number, c: number) => expect(v).toBeCloseTo(m[c], 5));
    spec.scale.std.forEach((v: number, c: number) => expect(v).toBeCloseTo(Math.sqrt(sd[c]), 5));
    expect(JSON.parse(tokens.metadata.measured_scale)).toEqual(spec.scale);
    tf.dispose([mean, variance, ...tokens.tensors.values()]);
  });
});
