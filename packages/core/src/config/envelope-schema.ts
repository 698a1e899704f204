import { Type, type TSchema } from '@sinclair/typebox';

/** Backends a pipeline may name. */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * Schema of one plugin slot: a name, `{ use, options }`, or (TS pipelines) `{ plugin, options }`.
 * `pluginBranch` replaces the `{ use, options }` branch in the editor schema built by `ifsq schema`.
 */
export function pluginSlotSchema(pluginBranch?: TSchema): TSchema {
  return Type.Union([
    Type.String({ minLength: 1, description: 'Built-in short name, npm package name, or `package#plugin`.' }),
    pluginBranch ??
      Type.Object(
        {
          use: Type.String({ minLength: 1, description: 'Built-in short name, npm package name, or `package#plugin`.' }),
          options: Type.Optional(Type.Object({}, { description: "Options checked against the plugin's own schema." })),
        },
        { additionalProperties: false },
      ),
    Type.Object(
      {
        plugin: Type.Object({ name: Type.String(), kind: Type.String() }, { description: 'An inline plugin definition.' }),
        options: Type.Optional(Type.Object({})),
      },
      { additionalProperties: false },
    ),
  ]);
}

/** Slot schemas per section, so the editor schema can substitute plugin-specific branches. */
export interface SlotSchemas {
  /** `data`. */
  dataset?: TSchema;
  /** `tokenizer.backbone`. */
  backbone?: TSchema;
  /** `tokenizer.quantizer`. */
  quantizer?: TSchema;
  /** `tokenizer.perceptual` (a feature extractor). */
  featureExtractor?: TSchema;
  /** `generator.model`. */
  generator?: TSchema;
  /** `generator.aligner`. */
  aligner?: TSchema;
  /** Items of `metrics`. */
  metric?: TSchema;
  /** Items of `stages`. */
  stage?: TSchema;
}

/** The pipeline-file envelope (phase one of validation): sections and slot shapes, not plugin options. */
export function envelopeSchema(slots: SlotSchemas = {}): TSchema {
  const slot = (s?: TSchema): TSchema => s ?? pluginSlotSchema();
  return Type.Object(
    {
      $schema: Type.Optional(Type.String({ description: 'JSON Schema reference for editors (ignored).' })),
      name: Type.Optional(Type.String({ minLength: 1, description: 'Pipeline name; default run directory name.' })),
      seed: Type.Optional(Type.Integer({ minimum: 0, description: 'Seed of every random stream of the run.', default: 0 })),
      backend: Type.Optional(
        Type.Unsafe<(typeof BACKEND_CHOICES)[number]>({
          type: 'string',
          enum: [...BACKEND_CHOICES],
          description: 'Compute backend.',
          default: 'auto',
        }),
      ),
      threads: Type.Optional(
        Type.Unsafe<number | 'auto'>({
          anyOf: [{ type: 'integer', minimum: 1, maximum: 8 }, { const: 'auto' }],
          description: "CPU threads of the wasm backend: 1 to 8, or 'auto' (the machine's cores, at most 8).",
          default: 'auto',
        }),
      ),
      data: Type.Optional(slot(slots.dataset)),
      tokenizer: Type.Optional(
        Type.Object(
          {
            backbone: Type.Optional(slot(slots.backbone)),
            quantizer: slot(slots.quantizer),
            perceptual: Type.Optional(slot(slots.featureExtractor)),
          },
          { additionalProperties: false },
        ),
      ),
      generator: Type.Optional(
        Type.Object(
          { model: slot(slots.generator), aligner: Type.Optional(slot(slots.aligner)) },
          { additionalProperties: false },
        ),
      ),
      metrics: Type.Optional(Type.Array(slot(slots.metric))),
      stages: Type.Array(slot(slots.stage), { minItems: 1 }),
      output: Type.Optional(
        Type.Object(
          {
            dir: Type.Optional(Type.String({ minLength: 1, description: 'Folder of run directories.', default: 'runs' })),
            run: Type.Optional(Type.String({ minLength: 1, description: "This run's directory name." })),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  );
}
