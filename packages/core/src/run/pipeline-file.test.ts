import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../config/load-pipeline.js';
import type { ResolvedConfigRecord } from './resolved-config.js';
import { runPipeline } from './run-pipeline.js';

/** A pipeline file with an inline stage plugin (a plain definition object, no imports needed). */
const PIPELINE = `
const stage = {
  name: 'sum-steps', kind: 'stage', apiVersion: '1',
  options: { type: 'object', properties: { steps: { type: 'integer', minimum: 1 } }, required: ['steps'], additionalProperties: false },
  defaults: { steps: 3 },
  create: (_ctx, o) => ({
    async run(ctx) {
      let total = 0;
      for (let s = 1; s <= o.steps; s++) {
        total += s;
        ctx.metrics.write({ stage: ctx.stageName, step: s, split: 'train', values: { total } });
      }
      await ctx.writeArtifact('sum.txt', String(total));
      return { status: 'completed', summary: { total } };
    },
  }),
};
export default {
  name: 'from-file', seed: 9, backend: 'cpu',
  stages: [{ plugin: stage, options: { steps: 4 } }],
  output: { dir: 'out' },
};
`;

describe('runPipeline on a loaded pipeline file', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs a stage from a pipeline file into <configDir>/<output.dir>/<name>-<fingerprint>', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-file-'));
    writeFileSync(join(dir, 'ifsq.config.mjs'), PIPELINE);
    const loaded = await loadPipeline({ cwd: dir });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const result = await runPipeline(loaded.pipeline, { stderr: { write: () => true } });
    expect(result.runDir).toMatch(new RegExp(`^${join(loaded.pipeline.configDir, 'out', 'from-file')}-[0-9a-f]{8}$`));
    expect(result.stages).toEqual([{ name: 'sum-steps', status: 'completed', summary: { total: 10 } }]);
    expect(readFileSync(join(result.runDir, 'sum.txt'), 'utf8')).toBe('10');
    const config = JSON.parse(readFileSync(join(result.runDir, 'config.resolved.json'), 'utf8')) as ResolvedConfigRecord;
    expect(config.seed).toBe(9);
    expect(config.name).toBe('from-file');
    expect(config.plugins['stages[0]']).toMatchObject({ kind: 'stage', plugin: 'sum-steps', options: { steps: 4 } });
    const again = await runPipeline(loaded.pipeline, { stderr: { write: () => true } });
    expect(again.stages[0].status).toBe('skipped');
  });
});
