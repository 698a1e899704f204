import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginContext } from '@ifsq/core';
import * as tf from '@tensorflow/tfjs';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import * as pluginModule from './plugin.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  ifsq: { apiVersion: string; plugins: Array<{ name: string; kind: string; entry: string; export: string }> };
};
const ctx = { configDir: mkdtempSync(join(tmpdir(), 'metrics-plugin-')), tf } as unknown as PluginContext;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('metrics plugin manifest', () => {
  it('lists every exported definition with its name, kind and export', () => {
    expect(pkg.ifsq.apiVersion).toBe('1');
    expect(pkg.ifsq.plugins.map((p) => p.name).sort()).toEqual(
      ['cknna', 'fid', 'fmnist-features', 'inception-v3', 'lpips', 'psnr', 'ssim', 'tokenizer-stats'].sort(),
    );
    for (const entry of pkg.ifsq.plugins) {
      expect(entry.entry).toBe('./dist/plugin.js');
      const def = (pluginModule as Record<string, unknown>)[entry.export] as { name: string; kind: string; apiVersion: string };
      expect(def, entry.export).toBeDefined();
      expect(def.name).toBe(entry.name);
      expect(def.kind).toBe(entry.kind);
      expect(def.apiVersion).toBe('1');
    }
  });

  it('imports neither TensorFlow.js nor ml-matrix (nor core at run time) at module load', () => {
    const src = readFileSync(new URL('./plugin.ts', import.meta.url), 'utf8');
    const runtimeImports = [...src.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gm)].map((m) => m[1]);
    expect(runtimeImports.sort()).toEqual(['@sinclair/typebox', 'node:path']);
  });

  it('has defaults that validate against each options schema', () => {
    for (const entry of pkg.ifsq.plugins) {
      const def = (pluginModule as unknown as Record<string, { options: never; defaults: object }>)[entry.export];
      const required = ({ lpips: { weights: 'x' }, 'inception-v3': { weights: 'x' }, cknna: { topk: 10 } } as Record<string, object>)[entry.name] ?? {};
      expect(Value.Check(def.options, { ...def.defaults, ...required }), entry.name).toBe(true);
    }
  });

  it('creates working metrics from code through the definitions', async () => {
    const m = await pluginModule.psnr.create(ctx, { cap: 100 });
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    m.update({ real: x, fake: x });
    expect((await m.compute()).values.psnr).toBe(100);
    x.dispose();
    const s = await pluginModule.tokenizerStats.create(ctx, { binValues: true, maxKsSamples: 10 });
    expect(s.name).toBe('tokenizer-stats');
  });

  it('fails with a clear message when LPIPS weights do not exist', async () => {
    await expect(pluginModule.lpips.create(ctx, { weights: 'missing.safetensors', net: 'alex', spatial: false })).rejects.toThrow(
      /lpips: cannot read weights file .*missing.safetensors \(option "weights"\)/,
    );
  });
});
