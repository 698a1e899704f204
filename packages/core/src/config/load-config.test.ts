import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeProject, removeProject, writeFile } from '../plugin/fake-packages.test.util.js';
import { ConfigLoadError, loadPipelineFile } from './load-config.js';
import { loadPipeline } from './load-pipeline.js';

let root: string;
beforeEach(() => {
  root = makeProject();
});
afterEach(() => removeProject(root));

describe('loadPipelineFile', () => {
  it('finds ifsq.config.yaml from a subfolder, up to the project root', async () => {
    writeFile(join(root, 'ifsq.config.yaml'), 'name: found\nstages: [encode]\n');
    const sub = join(root, 'a', 'b');
    writeFile(join(sub, 'note.txt'), '');
    const file = await loadPipelineFile({ cwd: sub });
    expect(file.filepath).toBe(join(root, 'ifsq.config.yaml'));
    expect(file.config).toEqual({ name: 'found', stages: ['encode'] });
  });

  it('reads a pipeline from package.json#ifsq', async () => {
    writeFile(join(root, 'package.json'), JSON.stringify({ name: 'p', ifsq: { name: 'from-pkg', stages: ['encode'] } }));
    const file = await loadPipelineFile({ cwd: root });
    expect(file.config).toEqual({ name: 'from-pkg', stages: ['encode'] });
  });

  it('skips a package.json whose ifsq key is a plugin manifest', async () => {
    writeFile(join(root, 'package.json'), JSON.stringify({ name: 'plugin-pkg', ifsq: { apiVersion: '1', plugins: [] } }));
    await expect(loadPipelineFile({ cwd: root })).rejects.toThrow(/no pipeline file found/);
    await expect(loadPipelineFile({ cwd: root, configPath: 'package.json' })).rejects.toThrow(/a plugin manifest is not a pipeline/);
  });

  it('loads a TypeScript pipeline file with type annotations', async () => {
    writeFile(
      join(root, 'ifsq.config.ts'),
      "interface P { name: string; stages: string[] }\nconst config: P = { name: 'typed', stages: ['encode'] };\nexport default config;\n",
    );
    const file = await loadPipelineFile({ cwd: root });
    expect(file.config).toEqual({ name: 'typed', stages: ['encode'] });
  });

  it('loads --config PATH directly and names a missing file', async () => {
    writeFile(join(root, 'pipelines', 'mine.json'), JSON.stringify({ name: 'direct', stages: ['encode'] }));
    const file = await loadPipelineFile({ cwd: root, configPath: 'pipelines/mine.json' });
    expect(file.config).toMatchObject({ name: 'direct' });
    const missing = loadPipelineFile({ cwd: root, configPath: 'nope.yaml' });
    await expect(missing).rejects.toBeInstanceOf(ConfigLoadError);
    await expect(loadPipelineFile({ cwd: root, configPath: 'nope.yaml' })).rejects.toThrow(`${join(root, 'nope.yaml')} does not exist`);
  });

  it('names the file when it cannot be parsed', async () => {
    writeFile(join(root, '.ifsqrc.yaml'), 'stages: [encode\n');
    await expect(loadPipelineFile({ cwd: root })).rejects.toThrow(`cannot load pipeline file ${join(root, '.ifsqrc.yaml')}`);
  });
});

describe('loadPipeline', () => {
  it('turns a load failure into one issue instead of throwing', async () => {
    const result = await loadPipeline({ cwd: root });
    expect(result.ok).toBe(false);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0].phase).toBe('load');
    expect(result.issues[0].message).toContain('no pipeline file found');
  });
});
