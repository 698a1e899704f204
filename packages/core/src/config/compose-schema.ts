import { Type, type TSchema } from '@sinclair/typebox';
import type { PluginDefinition, PluginKind } from '../plugin/define-plugin.js';
import { envelopeSchema, pluginSlotSchema, type SlotSchemas } from './envelope-schema.js';

/** A plugin known to `ifsq schema`: how a pipeline names it and its definition. */
export interface KnownPlugin {
  /** What a pipeline writes in `use` (`ifsq`, `@acme/clamp#clamp`). */
  specifier: string;
  /** The loaded definition (its `options` schema is embedded). */
  definition: PluginDefinition;
}

const SLOT_KINDS: Record<keyof SlotSchemas, PluginKind> = {
  dataset: 'dataset',
  backbone: 'backbone',
  quantizer: 'quantizer',
  featureExtractor: 'feature-extractor',
  generator: 'generator',
  aligner: 'aligner',
  metric: 'metric',
  stage: 'stage',
};

function branchFor(plugins: KnownPlugin[]): TSchema | undefined {
  if (plugins.length === 0) return undefined;
  const known: TSchema[] = plugins.map((p) =>
      Type.Object(
        {
          use: Type.Literal(p.specifier, { description: p.definition.description ?? `${p.definition.kind} ${p.definition.name}` }),
          options: Type.Optional(Type.Unsafe(optionalDefaults(p.definition))),
        },
        { additionalProperties: false },
      ),
  );
  return Type.Union([
    ...known,
      Type.Object(
        {
          use: Type.String({ minLength: 1, not: { enum: plugins.map((p) => p.specifier) } }),
          options: Type.Optional(Type.Object({})),
        },
        { additionalProperties: false, description: 'A plugin not installed where the schema was made.' },
      ),
  ]);
}

/**
 * A plugin's options schema as a pipeline file may write it: keys that have a default are not required, because
 * the defaults are merged in before validation.
 */
function optionalDefaults(definition: PluginDefinition): Record<string, unknown> {
  const schema = plain(definition.options);
  const defaults = (definition.defaults ?? {}) as Record<string, unknown>;
  if (Array.isArray(schema.required)) {
    const required = (schema.required as string[]).filter((key) => !Object.hasOwn(defaults, key));
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
  return schema;
}

/** Drop TypeBox's symbol keys so the result is plain JSON. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/**
 * JSON Schema of a pipeline file for editors: the envelope with, for every slot, one `{ use, options }` branch per
 * known plugin of that kind (`use` is a constant, so editors pick the branch by it and check the options).
 * Plugin names written as plain strings are accepted as any string.
 */
export function composePipelineSchema(plugins: readonly KnownPlugin[]): Record<string, unknown> {
  const slots: SlotSchemas = {};
  for (const [slot, kind] of Object.entries(SLOT_KINDS) as [keyof SlotSchemas, PluginKind][]) {
    const ofKind = plugins.filter((p) => p.definition.kind === kind);
    const branch = branchFor(ofKind);
    if (branch) {
      const oneOf = plain(branch) as { anyOf?: unknown[] };
      slots[slot] = pluginSlotSchema(Type.Unsafe({ oneOf: oneOf.anyOf ?? [oneOf] }));
    }
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ifsq pipeline file',
    ...plain(envelopeSchema(slots)),
  };
}
