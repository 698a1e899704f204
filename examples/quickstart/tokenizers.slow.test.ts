/**
 * The quickstart pipelines: every tokenizer variant differs from the iFSQ pipeline only in its quantizer slot,
 * validates, trains through the same stages, and reports the same metric names.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, formatIssues, loadFashionMnist, runPipeline, validatePipeline, type PipelineConfig } from '@ifsq/core';
import { FmnistFeatureExtractor, fidFromFeatures } from '@ifsq/metrics';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));
const VARIANTS = ['ifsq', 'tanh', 'vq', 'vae', 'ae'] as const;
const read = (name: string): PipelineConfig => parse(readFileSync(join(HERE, `${name}.config.yaml`), 'utf8')) as PipelineConfig;
const withoutQuantizer = (c: PipelineConfig) => ({ ...c, tokenizer: { ...c.tokenizer, quantizer: undefined } });

/** The same pipeline at toy scale: 600 images, a small backbone, 4 steps; runs into a temporary folder. */
function toy(config: PipelineConfig, outputs: string[], steps = 4): PipelineConfig {
  return {
    ...config,
    data: { use: 'fashion-mnist', options: { split: 'test', size: 32, limit: 600 } },
    tokenizer: {
      ...config.tokenizer!,
      backbone: { use: 'conv-resnet', options: { channels: 8, channelMultipliers: [1, 2, 2], latentChannels: 4, groups: 4 } },
    },
    stages: [
      { use: 'train-tokenizer', options: { steps, batchSize: 16, lr: 0.003, holdout: 100, validateEvery: 0 } },
      { use: 'evaluate-tokenizer', options: { gridImages: 0 } },
      { use: 'encode', options: { outputs } },
    ],
    output: { dir: mkdtempSync(join(tmpdir(), 'ifsq-quickstart-')) },
  };
}

async function run(config: PipelineConfig) {
  const validation = await validatePipeline(config, join(HERE, 'toy.config.yaml'));
  if (!validation.ok) throw new Error(formatIssues(validation.issues));
  return runPipeline(validation.pipeline, { stderr: { write: () => true } });
}

function evaluation(runDir: string): Record<string, number> {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.find((r) => r.stage === 'evaluate-tokenizer').values as Record<string, number>;
}

describe('quickstart pipelines', () => {
  it('differ from the iFSQ pipeline only in the quantizer slot, and all validate', async () => {
    const files = readdirSync(HERE).filter((f) => f.endsWith('.config.yaml')).sort();
    expect(files).toEqual(['ae.config.yaml', 'ifsq.config.yaml', 'tanh.config.yaml', 'vae.config.yaml', 'vq.config.yaml']);
    const base = withoutQuantizer(read('ifsq'));
    for (const v of VARIANTS) {
      expect(withoutQuantizer(read(v))).toEqual(base);
      const result = await validatePipeline(read(v), join(HERE, `${v}.config.yaml`));
      expect(result.ok, result.ok ? '' : formatIssues(result.issues)).toBe(true);
    }
  });

  it('refuses a continuous tokenizer for a stage that needs indices, naming both plugins', async () => {
    const config = { ...read('vae'), stages: [{ use: 'encode', options: { outputs: ['indices'] } }] };
    const result = await validatePipeline(config, join(HERE, 'vae.config.yaml'));
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : formatIssues(result.issues);
    expect(text).toMatch(/encode/);
    expect(text).toMatch(/vae/);
    expect(text).toMatch(/continuous/);
  });

  it('train VQ, VAE and AE through the same stages as iFSQ, with the same evaluation metric names', async () => {
    const names: Record<string, string[]> = {};
    for (const v of ['ifsq', 'vq', 'vae', 'ae'] as const) {
      const outputs = v === 'ifsq' || v === 'vq' ? ['codes', 'indices'] : ['codes'];
      const result = await run(toy(read(v), outputs));
      expect(result.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
      const values = evaluation(result.runDir);
      names[v] = Object.keys(values).sort();
      for (const key of ['psnr', 'ssim', 'bits_per_value', 'compression_ratio']) expect(Number.isFinite(values[key]), `${v} ${key}`).toBe(true);
      if (v === 'ifsq') {
        // the same trained encoder's pre-rounding KS under both bounds, reported beside the metrics
        const lines = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        const diag = lines.find((r) => r.split === 'holdout/quantizer').values as Record<string, number>;
        expect(diag.ks_ifsq).toBeGreaterThan(0);
        expect(diag.ks_tanh).toBeGreaterThan(0);
        expect(readFileSync(join(result.runDir, 'report.md'), 'utf8')).toContain('Quantizer diagnostics');
      }
      if (v === 'vq') {
        expect(values.utilization).toBeGreaterThan(0);
        expect(values.utilization).toBeLessThanOrEqual(1);
        const tokens = decodeSafetensors(readFileSync(join(result.runDir, 'encode', 'tokens.safetensors')), 'tokens');
        const indices = tokens.tensors.get('indices')!.dataSync();
        const holdout = tokens.tensors.get('holdout')!.dataSync();
        const perImage = indices.length / holdout.length;
        const used = new Set<number>();
        holdout.forEach((h, i) => {
          if (h === 1) for (let k = 0; k < perImage; k++) used.add(indices[i * perImage + k]);
        });
        expect(values.utilization).toBeCloseTo(used.size / 4096, 10);
        tf.dispose([...tokens.tensors.values()]);
      }
    }
    expect(names.vq).toEqual(names.ifsq);
    expect(names.vae).toEqual(names.ifsq);
    expect(names.ae).toEqual(names.ifsq);
  });

  it('separates a trained tokenizer\'s reconstructions from pure noise by a wide margin on the Fashion-MNIST FID', async () => {
    const config = { ...toy(read('ifsq'), ['codes'], 150), metrics: [{ use: 'fid', options: { valueName: 'rfid' } }] };
    const result = await run(config);
    const rfid = evaluation(result.runDir).rfid;
    // FID of the same held-out real images against uniform noise, with the same shipped feature network
    const data = await loadFashionMnist({ split: 'test', size: 32, limit: 600 });
    const [real] = [...data.subset(Array.from({ length: 100 }, (_, i) => i), 'first100').batches({ batchSize: 100, seed: 0, shuffle: false })];
    const noise = tf.randomUniform([100, 32, 32, 1], -1, 1, 'float32', 7) as tf.Tensor4D;
    const extractor = await FmnistFeatureExtractor.load();
    const fa = extractor.extract(real.images);
    const fb = extractor.extract(noise);
    const noiseFid = fidFromFeatures(fa.arraySync(), fb.arraySync());
    tf.dispose([real.images, real.labels, noise, fa, fb]);
    extractor.dispose();
    expect(Number.isFinite(rfid)).toBe(true);
    expect(rfid * 5).toBeLessThan(noiseFid);
  });
});
