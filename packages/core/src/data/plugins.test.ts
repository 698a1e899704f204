import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../contracts/dataset.js';
import type { PluginContext } from '../contracts/services.js';
import { PLUGIN_API_VERSION } from '../plugin/define-plugin.js';
import { encodeIdx } from './idx.js';
import { fashionMnistDataset, imageFolderDataset } from './plugins.js';

/** Module specifiers imported (at run time, not `import type`) by a TypeScript file, following relative imports. */
function runtimeImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
    const specifier = match[1] ?? match[2];
    found.push(specifier);
    if (specifier.startsWith('.')) {
      found.push(...runtimeImports(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), seen));
    }
  }
  return found;
}

function context(configDir: string, warnings: string[] = []): PluginContext {
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (m: string) => warnings.push(m),
    error: () => undefined,
    child: () => logger,
  };
  return { configDir, logger } as unknown as PluginContext;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('dataset plugins', () => {
  it('plugins.ts loads neither TensorFlow.js nor sharp at module load, directly or through its imports', () => {
    const here = fileURLToPath(new URL('./plugins.ts', import.meta.url));
    const imports = runtimeImports(here);
    expect(imports).toContain('@sinclair/typebox');
    expect(imports.filter((s) => s.includes('tensorflow') || s === 'sharp')).toEqual([]);
    // The scan does find such imports where they exist.
    expect(runtimeImports(fileURLToPath(new URL('./fashion-mnist.ts', import.meta.url)))).toContain('@tensorflow/tfjs');
  });

  it('are dataset plugins of the current API whose defaults satisfy their schemas', () => {
    for (const plugin of [fashionMnistDataset, imageFolderDataset]) {
      expect(plugin.kind).toBe('dataset');
      expect(plugin.apiVersion).toBe(PLUGIN_API_VERSION);
    }
    expect(Value.Check(fashionMnistDataset.options, { ...fashionMnistDataset.defaults })).toBe(true);
    expect(Value.Check(fashionMnistDataset.options, { ...fashionMnistDataset.defaults, split: 'dev' })).toBe(false);
    expect(Value.Check(fashionMnistDataset.options, { ...fashionMnistDataset.defaults, size: 16 })).toBe(false);
    expect(Value.Check(imageFolderDataset.options, { ...imageFolderDataset.defaults })).toBe(false); // root required
    expect(Value.Check(imageFolderDataset.options, { ...imageFolderDataset.defaults, root: 'img' })).toBe(true);
  });

  it('documents every option with its default', () => {
    for (const plugin of [fashionMnistDataset, imageFolderDataset]) {
      const properties = (plugin.options as { properties: Record<string, { description?: string }> }).properties;
      for (const [name, schema] of Object.entries(properties)) {
        expect(schema.description, `${plugin.name}.${name}`).toBeTruthy();
        if (name !== 'root') expect(schema.description, `${plugin.name}.${name}`).toContain('@default');
      }
    }
  });

  it('fashion-mnist resolves a relative dir from the pipeline folder and splits off validation images', async () => {
    const configDir = await mkdtemp(join(tmpdir(), 'fm-plugin-'));
    await mkdir(join(configDir, 'fm'));
    // A tiny training split of 6 images of constant value i, labels i.
    const pixels = Uint8Array.from({ length: 6 * 784 }, (_, k) => Math.floor(k / 784));
    await writeFile(join(configDir, 'fm', 'train-images-idx3-ubyte'), encodeIdx({ dtype: 'uint8', dims: [6, 28, 28], data: pixels }));
    await writeFile(join(configDir, 'fm', 'train-labels-idx1-ubyte'), encodeIdx({ dtype: 'uint8', dims: [6], data: Uint8Array.from([0, 1, 2, 3, 4, 5]) }));
    const warnings: string[] = [];
    const options = { ...fashionMnistDataset.defaults, dir: 'fm', validation: 2, seed: 1 } as Parameters<
      typeof fashionMnistDataset.create
    >[1];
    const train = (await fashionMnistDataset.create(context(configDir, warnings), options)) as Dataset;
    const validation = (await fashionMnistDataset.create(context(configDir), { ...options, split: 'validation' })) as Dataset;
    expect(warnings).toEqual([]);
    expect(train.name).toBe('fashion-mnist/train[train]');
    expect(train.imageShape).toEqual([32, 32, 1]);
    expect([train.size, validation.size]).toEqual([4, 2]);
    const labels = (d: Dataset) => {
      const out: number[] = [];
      for (const b of d.batches({ batchSize: 10, seed: 0, shuffle: false })) {
        out.push(...b.labels.dataSync());
        tf.dispose([b.images, b.labels]);
      }
      return out;
    };
    const all = [...labels(train), ...labels(validation)].sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('image-folder resolves its root from the pipeline folder', async () => {
    const configDir = await mkdtemp(join(tmpdir(), 'if-plugin-'));
    await mkdir(join(configDir, 'imgs', 'only'), { recursive: true });
    await sharp({ create: { width: 5, height: 5, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(join(configDir, 'imgs', 'only', 'x.png'));
    const options = { ...imageFolderDataset.defaults, root: 'imgs', size: 4 } as Parameters<typeof imageFolderDataset.create>[1];
    const ds = (await imageFolderDataset.create(context(configDir), options)) as Dataset;
    expect([ds.size, ds.numClasses]).toEqual([1, 1]);
    expect(ds.imageShape).toEqual([4, 4, 3]);
  });
});
