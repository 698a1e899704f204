import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../plugin/define-plugin.js';
import type { ResolvedPipeline } from '../pipeline/types.js';
import { runDirectoryOf } from './resolved-config.js';

const quantizer = definePlugin({
  name: 'q',
  kind: 'quantizer',
  apiVersion: '1',
  options: Type.Object({ bound: Type.String() }),
  defaults: {},
  create: () => ({}),
});

function pipeline(bound: string, run?: string): ResolvedPipeline {
  const slot = { path: 'tokenizer.quantizer', kind: 'quantizer' as const, definition: quantizer, options: { bound }, source: { specifier: 'q', builtin: false } };
  return {
    configPath: '/p/ifsq.config.yaml',
    configDir: '/p',
    config: { name: 'quick', stages: [], tokenizer: { quantizer: 'q' }, ...(run ? { output: { run } } : {}) },
    plugins: new Map([[slot.path, slot]]),
    stages: [],
    metrics: [],
  };
}

describe('runDirectoryOf', () => {
  it('names the run after the pipeline and its fingerprint, so an edited pipeline gets a new run directory', () => {
    const a = runDirectoryOf(pipeline('ifsq'));
    expect(a).toMatch(/^\/p\/runs\/quick-[0-9a-f]{8}$/);
    expect(runDirectoryOf(pipeline('ifsq'))).toBe(a);
    expect(runDirectoryOf(pipeline('tanh'))).not.toBe(a);
  });

  it('uses output.run verbatim when given', () => {
    expect(runDirectoryOf(pipeline('ifsq', 'mine'))).toBe('/p/runs/mine');
    expect(() => runDirectoryOf(pipeline('ifsq', '../x'))).toThrow(/output\.run/);
  });
});
