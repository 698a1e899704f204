import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { SeededRng, type PluginContext } from '@ifsq/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AeQuantizer, VaeQuantizer } from './continuous.js';
import { ae, vae } from './plugin.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ctx = { rng: new SeededRng(1) } as unknown as PluginContext;

describe('vae and ae plugins', () => {
  it('are quantizer plugins producing continuous latents', () => {
    for (const p of [vae, ae]) {
      expect(p.kind).toBe('quantizer');
      expect(p.apiVersion).toBe('1');
      expect(p.traits?.(p.defaults as never)).toEqual({ produces: 'continuous' });
    }
    expect([vae.name, ae.name]).toEqual(['vae', 'ae']);
  });

  it('have defaults that satisfy their schemas, with the documented values', () => {
    expect(Value.Check(vae.options, vae.defaults)).toBe(true);
    expect(Value.Check(ae.options, ae.defaults)).toBe(true);
    expect(vae.defaults).toEqual({ latentChannels: 4, bitsPerValue: 16, scale: { kind: 'constant', factor: 1 }, klWeight: 1e-6 });
    expect(Value.Check(ae.options, { ...ae.defaults, klWeight: 1 })).toBe(false);
    expect(
      Value.Check(vae.options, { ...vae.defaults, scale: { kind: 'per-channel', mean: [0, 0, 0, 0], std: [1, 1, 1, 0] } }),
    ).toBe(false);
  });

  it('create the implementations with the given options', async () => {
    const v = await vae.create(ctx, { ...(vae.defaults as Required<typeof vae.defaults>), latentChannels: 3 });
    expect(v).toBeInstanceOf(VaeQuantizer);
    expect(v.inputChannels).toBe(6);
    const a = await ae.create(ctx, { ...(ae.defaults as Required<typeof ae.defaults>), bitsPerValue: 32 });
    expect(a).toBeInstanceOf(AeQuantizer);
    expect(a.spec.bitsPerValue).toBe(32);
  });

  it('load without TensorFlow.js: no value import of tfjs or @ifsq/core in the plugin module', () => {
    for (const file of ['./plugin.ts', './options.ts']) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      const valueImports = source.split('\n').filter((l) => /^import\s(?!type)/.test(l));
      for (const line of valueImports) expect(line).not.toMatch(/@tensorflow|@ifsq\/core|continuous/);
    }
  });

  it('are listed in the package manifest', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.ifsq.apiVersion).toBe('1');
    for (const name of ['vae', 'ae']) {
      expect(pkg.ifsq.plugins).toContainEqual(
        expect.objectContaining({ name, kind: 'quantizer', entry: './dist/plugin.js', export: name }),
      );
    }
  });
});
