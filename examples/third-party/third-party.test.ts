import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { formatIssues, loadPipeline, runPipeline, type PluginContext, type Quantizer } from '@ifsq/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE_PACKAGE = join(HERE, '..', 'custom-quantizer');
const BIN = join(HERE, '..', '..', 'packages', 'core', 'dist', 'cli', 'bin.js');

let project: string;

/**
 * Lay out what `pnpm install` would make: a project folder outside the repository whose node_modules links
 * `@ifsq/example-custom-quantizer` to examples/custom-quantizer, with this folder's pipeline file.
 */
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'ifsq-third-party-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'someone-elses-project', private: true }));
  mkdirSync(join(project, 'node_modules', '@ifsq'), { recursive: true });
  symlinkSync(EXAMPLE_PACKAGE, join(project, 'node_modules', '@ifsq', 'example-custom-quantizer'), 'dir');
  copyFileSync(join(HERE, 'ifsq.config.yaml'), join(project, 'ifsq.config.yaml'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a pipeline using a third-party quantizer by package name', () => {
  it('resolves the package from the pipeline folder and validates the whole pipeline', async () => {
    const result = await loadPipeline({ cwd: project });
    expect(formatIssues(result.issues)).toBe('');
    if (!result.ok) return;
    const quantizer = result.pipeline.plugins.get('tokenizer.quantizer');
    expect(quantizer?.definition.name).toBe('clamp');
    expect(quantizer?.options).toEqual({ levels: [7, 7, 7, 7] });
    expect(quantizer?.source).toEqual({
      specifier: '@ifsq/example-custom-quantizer',
      packageName: '@ifsq/example-custom-quantizer',
      packageVersion: '0.1.0',
      builtin: false,
    });
    expect(result.pipeline.stages.map((s) => s.definition.name)).toEqual(['train-tokenizer', 'evaluate-tokenizer']);
  });

  it("checks the quantizer's options against its own schema", async () => {
    const text = 'tokenizer:\n  quantizer:\n    use: "@ifsq/example-custom-quantizer#clamp"\n    options: { levels: [7, 1], bits: 3 }\nstages: [encode]\n';
    writeFileSync(join(project, 'ifsq.config.yaml'), text);
    const result = await loadPipeline({ cwd: project });
    const lines = formatIssues(result.issues).split('\n');
    expect(lines).toContain('tokenizer.quantizer.options.levels[1]: must be >= 2');
    expect(lines).toContain('tokenizer.quantizer.options: unknown property `bits`');
  });

  it('creates a working quantizer from the resolved plugin', async () => {
    const result = await loadPipeline({ cwd: project });
    if (!result.ok) throw new Error(formatIssues(result.issues));
    const slot = result.pipeline.plugins.get('tokenizer.quantizer');
    const ctx = { tf, configDir: project } as unknown as PluginContext;
    const quantizer = (await slot?.definition.create(ctx, slot.options)) as Quantizer;
    const z = tf.tensor4d([0.1, -0.4, 2, -3], [1, 1, 1, 4]);
    const out = quantizer.quantize(z);
    // 7 levels: digit = round((clamp(z) + 1)·3) → [3, 2, 6, 0]; code = digit/3 − 1.
    expect(Array.from(out.codes.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([0, -0.333333, 1, -1]);
    expect(Array.from(out.indices?.dataSync() ?? [])).toEqual([3 + 2 * 7 + 6 * 49 + 0]);
    tf.dispose([z, out.codes, out.indices as tf.Tensor, out.auxLoss]);
    quantizer.dispose();
  });

  it.skipIf(!existsSync(BIN))('validates with the built CLI from the other folder without loading TensorFlow.js', () => {
    const hook = `export async function resolve(s, c, n) { if (s.startsWith('@tensorflow/')) throw new Error('TFJS_IMPORTED ' + s); return n(s, c); }`;
    const trap = join(project, 'trap.mjs');
    writeFileSync(trap, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
    const text = 'tokenizer:\n  backbone: ./backbone.mjs\n  quantizer: "@ifsq/example-custom-quantizer"\nstages: [./stage.mjs]\n';
    writeFileSync(join(project, 'ifsq.config.yaml'), text);
    const stub = (name: string, kind: string) =>
      `export default { name: '${name}', kind: '${kind}', apiVersion: '1', options: { type: 'object' }, defaults: {}, create: () => ({}) };`;
    writeFileSync(join(project, 'backbone.mjs'), stub('stub-backbone', 'backbone'));
    writeFileSync(join(project, 'stage.mjs'), stub('stub-stage', 'stage'));
    const run = spawnSync(process.execPath, ['--import', trap, BIN, 'validate'], { cwd: project, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`OK ${join(project, 'ifsq.config.yaml')}: 3 plugins`);
    expect(run.status).toBe(0);
    const listed = spawnSync(process.execPath, ['--import', trap, BIN, 'plugins'], { cwd: project, encoding: 'utf8' });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/quantizer\s+@ifsq\/example-custom-quantizer\s+installed\s+@ifsq\/example-custom-quantizer@0\.1\.0/);
  });

  it('runs the training and evaluation stages with the third-party quantizer', async () => {
    const result = await loadPipeline({ cwd: project });
    if (!result.ok) throw new Error(formatIssues(result.issues));
    const pipeline = { ...result.pipeline, config: { ...result.pipeline.config, backend: 'wasm' as const } };
    const run = await runPipeline(pipeline, { stderr: { write: () => true } });
    expect(run.stages.map((s) => [s.name, s.status])).toEqual([
      ['train-tokenizer', 'completed'],
      ['evaluate-tokenizer', 'completed'],
    ]);
    expect(run.runDir.startsWith(join(project, 'runs'))).toBe(true);
    expect(existsSync(join(run.runDir, 'checkpoints', 'tokenizer.safetensors'))).toBe(true);
  });
});
