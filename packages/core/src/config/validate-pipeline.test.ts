import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../plugin/define-plugin.js';
import { installFakePackage, makeProject, removeProject } from '../plugin/fake-packages.test.util.js';
import { formatIssues } from './issues.js';
import { validatePipeline } from './validate-pipeline.js';

let root: string;
let configPath: string;

const levelsSchema = {
  type: 'object',
  properties: { levels: { type: 'array', items: { type: 'integer', minimum: 2 }, minItems: 1 }, beta: { type: 'number' } },
  required: ['levels'],
  additionalProperties: false,
};
const stepsSchema = {
  type: 'object',
  properties: { steps: { type: 'integer', minimum: 1 }, outputs: { type: 'array', items: { enum: ['codes', 'indices'] } } },
  additionalProperties: false,
};

beforeEach(() => {
  root = makeProject();
  configPath = join(root, 'ifsq.config.yaml');
  installFakePackage(root, { name: 'acme-backbone', plugins: [{ name: 'tiny', kind: 'backbone' }] });
  installFakePackage(root, { name: 'acme-data', plugins: [{ name: 'dots', kind: 'dataset' }] });
  installFakePackage(root, {
    name: 'acme-quant',
    plugins: [
      { name: 'grid', kind: 'quantizer', options: levelsSchema, defaults: { levels: [5, 5], beta: 0.25 }, traits: "() => ({ produces: 'discrete' })" },
      { name: 'gauss', kind: 'quantizer', options: levelsSchema, defaults: { levels: [2] }, traits: "() => ({ produces: 'continuous' })" },
    ],
  });
  installFakePackage(root, { name: 'acme-metric', plugins: [{ name: 'sharp', kind: 'metric' }] });
  installFakePackage(root, {
    name: 'acme-stage',
    plugins: [
      { name: 'fit', kind: 'stage', options: stepsSchema, defaults: { steps: 10 }, traits: "() => ({ needs: ['data', 'tokenizer'] })" },
      {
        name: 'tokens',
        kind: 'stage',
        options: stepsSchema,
        traits: "(o) => ({ needs: ['tokenizer'], ...((o.outputs ?? []).includes('indices') ? { accepts: ['discrete'] } : {}) })",
      },
    ],
  });
});
afterEach(() => removeProject(root));

const tokenizer = (quantizer: unknown) => ({ backbone: 'acme-backbone', quantizer });

describe('validatePipeline', () => {
  it('reports errors in three different plugins at once, each with its path', async () => {
    const result = await validatePipeline(
      {
        tokenizer: tokenizer({ use: 'acme-quant#grid', options: { levels: [5, 5, 1] } }),
        metrics: [{ use: 'acme-metric', options: { size: 0 } }],
        stages: [{ use: 'acme-stage#fit', options: { steps: 'many' } }],
      },
      configPath,
    );
    expect(result.ok).toBe(false);
    expect(formatIssues(result.issues).split('\n')).toEqual([
      'tokenizer.quantizer.options.levels[2]: must be >= 2',
      'metrics[0].options.size: must be >= 1',
      'stages[0].options.steps: must be integer',
    ]);
  });

  it('collects envelope, resolution and option errors together', async () => {
    const result = await validatePipeline(
      {
        seed: 1.5,
        stagez: [],
        data: 42,
        tokenizer: tokenizer({ use: 'acme-qaunt#grid', options: { levels: [3], extra: true } }),
        metrics: ['acme-metric'],
        stages: ['acme-stage#fit', 'acme-stage#nope'],
      },
      configPath,
    );
    const lines = formatIssues(result.issues);
    expect(lines).toContain('(root): unknown property `stagez`');
    expect(lines).toContain('seed: must be integer');
    expect(lines).toContain('data: must be a plugin name, { use, options } or { plugin, options }');
    expect(lines).toContain('tokenizer.quantizer: unknown quantizer `acme-qaunt#grid`');
    expect(lines).toContain('stages[1]: package acme-stage@1.2.3 has no plugin `nope` (it provides: fit (stage), tokens (stage))');
    expect(result.issues.filter((i) => i.path === 'data')).toHaveLength(1);
  });

  it('accepts threads as 1 to 8 or auto and names the field and what it expects otherwise', async () => {
    for (const threads of [1, 8, 'auto']) {
      const ok = await validatePipeline({ threads, stages: ['acme-stage#fit'] }, configPath);
      expect(ok.issues.filter((i) => i.path === 'threads')).toEqual([]);
    }
    for (const threads of [0, 9, 2.5, 'many']) {
      const bad = await validatePipeline({ threads, stages: ['acme-stage#fit'] }, configPath);
      const lines = formatIssues(bad.issues.filter((i) => i.path === 'threads'));
      expect(lines).toMatch(/^threads: /);
      expect(lines).toContain('auto');
    }
  });

  it('merges defaults under the options before validating and returns the resolved pipeline', async () => {
    const result = await validatePipeline(
      {
        data: 'acme-data',
        tokenizer: tokenizer({ use: 'acme-quant#grid', options: { levels: [7, 7, 7] } }),
        stages: ['acme-stage#fit', { use: 'acme-stage#tokens', options: { outputs: ['indices'] } }],
      },
      configPath,
    );
    expect(result.issues).toEqual([]);
    if (!result.ok) return;
    const quantizer = result.pipeline.plugins.get('tokenizer.quantizer');
    expect(quantizer?.options).toEqual({ levels: [7, 7, 7], beta: 0.25 });
    expect(quantizer?.source).toMatchObject({ packageName: 'acme-quant', packageVersion: '1.2.3', builtin: false });
    expect(result.pipeline.stages.map((s) => [s.path, s.definition.name, s.options])).toEqual([
      ['stages[0]', 'fit', { steps: 10 }],
      ['stages[1]', 'tokens', { outputs: ['indices'] }],
    ]);
    expect(result.pipeline.configDir).toBe(root);
    expect([...result.pipeline.plugins.keys()]).toEqual(['data', 'tokenizer.backbone', 'tokenizer.quantizer', 'stages[0]', 'stages[1]']);
  });

  it('names both plugins when a stage needs another latent kind than the quantizer produces', async () => {
    const result = await validatePipeline(
      {
        data: 'acme-data',
        tokenizer: tokenizer('acme-quant#gauss'),
        stages: ['acme-stage#fit', { use: 'acme-stage#tokens', options: { outputs: ['indices'] } }],
      },
      configPath,
    );
    expect(formatIssues(result.issues)).toBe(
      'stages[1]: stage `tokens` (stages[1]) needs a discrete tokenizer, but tokenizer.quantizer is `gauss` (continuous)',
    );
  });

  it('reports a stage whose needed section is missing', async () => {
    const result = await validatePipeline({ tokenizer: tokenizer('acme-quant#grid'), stages: ['acme-stage#fit'] }, configPath);
    expect(formatIssues(result.issues)).toBe('stages[0]: stage `fit` (stages[0]) needs a `data` section, but the pipeline has none');
  });

  it('reports a missing section together with option errors of another slot', async () => {
    const result = await validatePipeline(
      { tokenizer: tokenizer({ use: 'acme-quant#grid', options: { levels: [1] } }), stages: ['acme-stage#fit'] },
      configPath,
    );
    const text = formatIssues(result.issues);
    expect(text).toMatch(/tokenizer\.quantizer\.options\.levels\[0\]/);
    expect(text).toMatch(/stages\[0\]: stage `fit` \(stages\[0\]\) needs a `data` section/);
  });

  it('rejects the same stage listed twice', async () => {
    const result = await validatePipeline(
      { data: 'acme-data', tokenizer: tokenizer('acme-quant#grid'), stages: ['acme-stage#fit', 'acme-stage#fit'] },
      configPath,
    );
    expect(formatIssues(result.issues)).toBe('stages[1]: stage `fit` appears twice (also at stages[0])');
  });

  it('accepts an inline plugin definition and validates its options', async () => {
    const inline = definePlugin({
      name: 'inline-stage',
      kind: 'stage',
      apiVersion: '1',
      options: Type.Object({ n: Type.Optional(Type.Integer({ maximum: 3 })) }, { additionalProperties: false }),
      defaults: {},
      create: () => ({}),
    });
    const good = await validatePipeline({ stages: [{ plugin: inline, options: { n: 2 } }] }, configPath);
    expect(good.ok).toBe(true);
    const bad = await validatePipeline({ stages: [{ plugin: inline, options: { n: 9 } }] }, configPath);
    expect(formatIssues(bad.issues)).toBe('stages[0].options.n: must be <= 3');
  });

  it('reports a plugin whose options schema is invalid under strict mode', async () => {
    installFakePackage(root, { name: 'sloppy', plugins: [{ name: 's', kind: 'stage', options: { type: 'object', propertiez: {} } }] });
    const result = await validatePipeline({ stages: ['sloppy'] }, configPath);
    expect(formatIssues(result.issues)).toContain('stages[0]: plugin `s` has an invalid options schema: strict mode: unknown keyword: "propertiez"');
  });

  it('requires a stages list', async () => {
    const result = await validatePipeline({ name: 'x' }, configPath);
    expect(formatIssues(result.issues)).toBe("(root): must have required property 'stages'");
  });
});
