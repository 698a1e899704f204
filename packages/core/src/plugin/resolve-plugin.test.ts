import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginResolutionError } from './errors.js';
import { installFakePackage, makeProject, removeProject, writeFile } from './fake-packages.test.util.js';
import { listInstalledPlugins } from './list-installed.js';
import { resolvePlugin, setCoreModuleLoader } from './resolve-plugin.js';

let root: string;
beforeEach(() => {
  root = makeProject();
});
afterEach(() => {
  removeProject(root);
  setCoreModuleLoader(undefined);
});

async function failure(promise: Promise<unknown>): Promise<PluginResolutionError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PluginResolutionError) return error;
    throw error;
  }
  throw new Error('expected a PluginResolutionError');
}

describe('resolvePlugin', () => {
  it('resolves a package by name from the pipeline folder through its manifest', async () => {
    installFakePackage(root, { name: 'acme-clamp', version: '2.0.1', plugins: [{ name: 'clamp', kind: 'quantizer' }] });
    const loaded = await resolvePlugin({ specifier: 'acme-clamp', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root });
    expect(loaded.definition.name).toBe('clamp');
    expect(loaded.source).toEqual({ specifier: 'acme-clamp', packageName: 'acme-clamp', packageVersion: '2.0.1', builtin: false });
  });

  it('resolves from a subfolder by walking up node_modules like Node does', async () => {
    installFakePackage(root, { name: '@acme/quant', plugins: [{ name: 'clamp', kind: 'quantizer' }] });
    const sub = join(root, 'pipelines', 'deep');
    writeFile(join(sub, 'x.txt'), '');
    const loaded = await resolvePlugin({ specifier: '@acme/quant', kind: 'quantizer', slot: 'q', fromDir: sub });
    expect(loaded.source.packageName).toBe('@acme/quant');
  });

  it('picks a named plugin of a multi-plugin package with package#plugin', async () => {
    installFakePackage(root, {
      name: 'acme-metrics',
      plugins: [
        { name: 'sharpness', kind: 'metric' },
        { name: 'blur', kind: 'metric' },
      ],
    });
    const loaded = await resolvePlugin({ specifier: 'acme-metrics#blur', kind: 'metric', slot: 'metrics[0]', fromDir: root });
    expect(loaded.definition.name).toBe('blur');
    const ambiguous = await failure(resolvePlugin({ specifier: 'acme-metrics', kind: 'metric', slot: 'metrics[0]', fromDir: root }));
    expect(ambiguous.message).toContain('several metric plugins (sharpness, blur)');
  });

  it('suggests the closest installed plugin for a misspelled name', async () => {
    installFakePackage(root, { name: 'acme-clamp', plugins: [{ name: 'clamp', kind: 'quantizer' }] });
    const error = await failure(resolvePlugin({ specifier: 'acme-clmap', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.code).toBe('unknown');
    expect(error.suggestion).toBe('acme-clamp');
    expect(error.message).toContain('did you mean `acme-clamp`?');
    expect(error.message).toContain('Known quantizer plugins:');
    expect(error.message).toContain('ifsq (built-in');
  });

  it('suggests a built-in short name for a typo of it', async () => {
    const error = await failure(resolvePlugin({ specifier: 'ifqs', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.suggestion).toBe('ifsq');
    expect(error.slot).toBe('tokenizer.quantizer');
  });

  it('names the slot, the plugin and both kinds on a kind mismatch', async () => {
    installFakePackage(root, { name: 'acme-sharp', plugins: [{ name: 'sharp', kind: 'metric' }] });
    const error = await failure(resolvePlugin({ specifier: 'acme-sharp', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.code).toBe('kind-mismatch');
    expect(error.message).toBe('kind mismatch: tokenizer.quantizer needs a quantizer plugin, but `acme-sharp` is a metric plugin');
  });

  it('reports a built-in short name used in a slot of another kind as a kind mismatch', async () => {
    const error = await failure(resolvePlugin({ specifier: 'psnr', kind: 'stage', slot: 'stages[1]', fromDir: root }));
    expect(error.code).toBe('kind-mismatch');
    expect(error.message).toContain('stages[1] needs a stage plugin, but `psnr` is a metric plugin');
  });

  it('catches a definition whose kind contradicts its manifest', async () => {
    installFakePackage(root, { name: 'liar', plugins: [{ name: 'x', kind: 'generator', manifestKind: 'quantizer' }] });
    const error = await failure(resolvePlugin({ specifier: 'liar', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.code).toBe('kind-mismatch');
    expect(error.message).toContain('is a generator plugin');
  });

  it('rejects a package built for another plugin API version, before importing it', async () => {
    installFakePackage(root, {
      name: 'future-quant',
      version: '9.0.0',
      apiVersion: '2',
      plugins: [{ name: 'q', kind: 'quantizer', prelude: "throw new Error('must not be imported');" }],
    });
    const error = await failure(resolvePlugin({ specifier: 'future-quant', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.code).toBe('api-version');
    expect(error.message).toContain('package future-quant@9.0.0 targets ifsq plugin API v2, but this @ifsq/core implements v1');
  });

  it('rejects a definition whose own apiVersion differs from the core', async () => {
    installFakePackage(root, { name: 'old-quant', plugins: [{ name: 'q', kind: 'quantizer', apiVersion: '0' }] });
    const error = await failure(resolvePlugin({ specifier: 'old-quant', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.code).toBe('api-version');
  });

  it('says that a package without a manifest is not a plugin package', async () => {
    writeFile(join(root, 'node_modules', 'left-pad', 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.0.0' }));
    const error = await failure(resolvePlugin({ specifier: 'left-pad', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root }));
    expect(error.message).toContain('is not an ifsq plugin package');
  });

  it('resolves a package-provided built-in short name from the pipeline folder', async () => {
    installFakePackage(root, { name: '@ifsq/quantizer-vq', version: '0.3.0', plugins: [{ name: 'vq', kind: 'quantizer' }] });
    const loaded = await resolvePlugin({ specifier: 'vq', kind: 'quantizer', slot: 'tokenizer.quantizer', fromDir: root });
    expect(loaded.definition.name).toBe('vq');
    expect(loaded.source).toMatchObject({ builtin: true, packageName: '@ifsq/quantizer-vq', packageVersion: '0.3.0' });
  });

  it('tells how to install a built-in whose package is missing', async () => {
    const error = await failure(resolvePlugin({ specifier: 'llamagen', kind: 'generator', slot: 'generator.model', fromDir: root }));
    expect(error.code).toBe('not-installed');
    expect(error.message).toContain('npm install @ifsq/generator-llamagen');
  });

  it('loads core built-ins lazily and explains a missing core module', async () => {
    setCoreModuleLoader(async (path) => {
      if (path === '../data/plugins.js') {
        return { fashionMnistDataset: { name: 'fashion-mnist', kind: 'dataset', apiVersion: '1', options: {}, defaults: {}, create: () => 1 } };
      }
      throw new Error(`Cannot find module ${path}`);
    });
    const data = await resolvePlugin({ specifier: 'fashion-mnist', kind: 'dataset', slot: 'data', fromDir: root });
    expect(data.source).toEqual({ specifier: 'fashion-mnist', packageName: '@ifsq/core', builtin: true });
    const error = await failure(resolvePlugin({ specifier: 'encode', kind: 'stage', slot: 'stages[0]', fromDir: root }));
    expect(error.code).toBe('not-installed');
    expect(error.message).toContain('../tokenizer/plugins.js could not be loaded');
  });

  it('loads a plugin from a relative module path with an export name', async () => {
    writeFile(
      join(root, 'local', 'my-stage.mjs'),
      "export const myStage = { name: 'my-stage', kind: 'stage', apiVersion: '1', options: {}, defaults: {}, create: () => ({}) };",
    );
    const loaded = await resolvePlugin({ specifier: './local/my-stage.mjs#myStage', kind: 'stage', slot: 'stages[0]', fromDir: root });
    expect(loaded.definition.name).toBe('my-stage');
  });
});

describe('listInstalledPlugins', () => {
  it('lists manifests of installed packages without importing their modules', () => {
    installFakePackage(root, {
      name: '@acme/heavy',
      version: '0.9.0',
      plugins: [{ name: 'heavy', kind: 'quantizer', prelude: "throw new Error('imported!');" }],
    });
    const { plugins, problems } = listInstalledPlugins(root);
    expect(problems).toEqual([]);
    expect(plugins).toContainEqual(
      expect.objectContaining({ name: 'heavy', kind: 'quantizer', specifier: '@acme/heavy', packageVersion: '0.9.0', builtin: false }),
    );
    expect(plugins.filter((p) => p.builtin).map((p) => p.specifier)).toEqual(
      expect.arrayContaining(['ifsq', 'vq', 'vae', 'ae', 'psnr', 'dit', 'llamagen', 'repa', 'fashion-mnist', 'encode']),
    );
  });

  it('prefers the nearest copy of a package and reports malformed manifests', () => {
    const sub = join(root, 'sub');
    installFakePackage(root, { name: 'dup', version: '1.0.0', plugins: [{ name: 'd', kind: 'metric' }] });
    installFakePackage(sub, { name: 'dup', version: '2.0.0', plugins: [{ name: 'd', kind: 'metric' }] });
    writeFile(join(root, 'node_modules', 'broken', 'package.json'), JSON.stringify({ name: 'broken', ifsq: { plugins: 'nope' } }));
    const { plugins, problems } = listInstalledPlugins(sub);
    expect(plugins.filter((p) => p.packageName === 'dup').map((p) => p.packageVersion)).toEqual(['2.0.0']);
    expect(problems.join('\n')).toContain('broken');
  });

  it('marks a built-in as available once its package is installed', () => {
    installFakePackage(root, { name: '@ifsq/quantizer-vae', plugins: [{ name: 'vae', kind: 'quantizer' }, { name: 'ae', kind: 'quantizer' }] });
    const { plugins } = listInstalledPlugins(root);
    const vae = plugins.find((p) => p.specifier === 'vae');
    expect(vae?.available).toBe(true);
    expect(plugins.find((p) => p.specifier === 'llamagen')?.available).toBe(false);
    expect(plugins.filter((p) => p.packageName === '@ifsq/quantizer-vae' && !p.builtin)).toEqual([]);
  });
});
