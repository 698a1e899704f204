import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginDefinition } from '../plugin/define-plugin.js';
import { composePipelineSchema } from './compose-schema.js';

const grid = definePlugin({
  name: 'grid',
  kind: 'quantizer',
  apiVersion: '1',
  options: Type.Object({ levels: Type.Array(Type.Integer({ minimum: 2 })) }, { additionalProperties: false }),
  defaults: {},
  create: () => ({}),
});
const fit = definePlugin({
  name: 'fit',
  kind: 'stage',
  apiVersion: '1',
  options: Type.Object({ steps: Type.Integer({ minimum: 1 }), lr: Type.Number() }, { additionalProperties: false }),
  defaults: { lr: 0.001 },
  create: () => ({}),
});

describe('composePipelineSchema', () => {
  const schema = composePipelineSchema([
    { specifier: 'grid', definition: grid as unknown as PluginDefinition },
    { specifier: 'fit', definition: fit as unknown as PluginDefinition },
  ]);
  const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);

  it('is plain JSON that compiles under ajv strict mode', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema.title).toBe('ifsq pipeline file');
  });

  it("checks a known plugin's options through the branch picked by `use`", () => {
    expect(validate({ tokenizer: { quantizer: { use: 'grid', options: { levels: [5, 5] } } }, stages: [{ use: 'fit', options: { steps: 3 } }] })).toBe(true);
    expect(validate({ tokenizer: { quantizer: { use: 'grid', options: { levels: [1] } } }, stages: ['fit'] })).toBe(false);
    expect(validate({ tokenizer: { quantizer: 'grid' }, stages: [{ use: 'fit', options: { steps: 0 } }] })).toBe(false);
  });

  it('does not require options that have defaults, but still requires the others', () => {
    expect(validate({ stages: [{ use: 'fit', options: { steps: 3 } }] })).toBe(true);
    expect(validate({ stages: [{ use: 'fit', options: { lr: 0.1 } }] })).toBe(false);
  });

  it('still accepts plugins that were not installed when the schema was made', () => {
    expect(validate({ tokenizer: { quantizer: { use: '@acme/other', options: { anything: 1 } } }, stages: ['fit'] })).toBe(true);
  });
});
