import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { SeededRng, type PluginContext } from '@ifsq/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { vq } from './plugin.js';
import { VectorQuantizer } from './vq-quantizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('vq plugin', () => {
  it('is a quantizer plugin producing discrete latents', () => {
    expect(vq.name).toBe('vq');
    expect(vq.kind).toBe('quantizer');
    expect(vq.apiVersion).toBe('1');
    expect(vq.traits?.(Value.Create(vq.options))).toEqual({ produces: 'discrete' });
  });

  it('has defaults that satisfy its schema, with the documented values', () => {
    expect(Value.Check(vq.options, vq.defaults)).toBe(true);
    expect(vq.defaults).toMatchObject({
      codebookSize: 1024,
      codebookDim: 4,
      beta: 0.25,
      lossForm: 'standard',
      l2Normalize: false,
      ema: false,
      emaDecay: 0.99,
      kmeansInit: false,
      deadCodeThreshold: 0,
      usageWindow: 65536,
    });
    expect(Value.Check(vq.options, { ...vq.defaults, lossForm: 'taming' })).toBe(false);
    expect(Value.Check(vq.options, { ...vq.defaults, codebookSize: 1 })).toBe(false);
    expect(Value.Check(vq.options, { ...vq.defaults, unknownOption: 1 })).toBe(false);
  });

  it('creates a VectorQuantizer with the given options', async () => {
    const ctx = { rng: new SeededRng(1) } as unknown as PluginContext;
    const q = await vq.create(ctx, { ...(vq.defaults as Required<typeof vq.defaults>), codebookSize: 8 });
    expect(q).toBeInstanceOf(VectorQuantizer);
    expect(q.spec.vocabSizes).toEqual([8]);
    await q.dispose();
  });

  it('loads without TensorFlow.js: no value import of tfjs or @ifsq/core in the plugin module', () => {
    const source = readFileSync(new URL('./plugin.ts', import.meta.url), 'utf8');
    const valueImports = source.split('\n').filter((l) => /^import\s(?!type)/.test(l));
    for (const line of valueImports) expect(line).not.toMatch(/@tensorflow|@ifsq\/core|vq-quantizer/);
    const options = readFileSync(new URL('./options.ts', import.meta.url), 'utf8');
    expect(options).not.toMatch(/from '@tensorflow|from '@ifsq\/core'/);
  });

  it('is listed in the package manifest', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.ifsq.apiVersion).toBe('1');
    expect(pkg.ifsq.plugins).toContainEqual(
      expect.objectContaining({ name: 'vq', kind: 'quantizer', entry: './dist/plugin.js', export: 'vq' }),
    );
  });
});
