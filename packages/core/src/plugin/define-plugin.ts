import type { Static, TSchema } from '@sinclair/typebox';
import type { LatentKind } from '../contracts/latent-spec.js';
import type { PluginContext } from '../contracts/services.js';

/** Kinds of plugins a pipeline can name. */
export const PLUGIN_KINDS = [
  'dataset',
  'backbone',
  'quantizer',
  'generator',
  'aligner',
  'metric',
  'feature-extractor',
  'stage',
] as const;

/** A plugin kind. */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** Major version of the plugin API this core implements. Plugins declare the version they were written for. */
export const PLUGIN_API_VERSION = '1';

/** Minimal structural view of a tsyringe container, so plugin authors need not depend on tsyringe. */
export interface PluginContainer {
  /** Register a value under a token. */
  register(token: symbol | string, provider: { useValue: unknown } | { useFactory: (c: unknown) => unknown }): unknown;
  /** Resolve a token. */
  resolve<T>(token: symbol | string): T;
  /** Whether a token is registered. */
  isRegistered(token: symbol | string, recursive?: boolean): boolean;
}

/** Static facts about a configured plugin, used for cross-slot validation. */
export interface PluginTraits {
  /** Latent kind a quantizer produces with these options. */
  produces?: LatentKind;
  /** Latent kinds a generator or stage can consume with these options (absent: any). */
  accepts?: LatentKind[];
  /** Pipeline sections a stage needs (`tokenizer`, `generator`, `data`). */
  needs?: Array<'data' | 'tokenizer' | 'generator'>;
}

/** A plugin definition: a plain object built with {@link definePlugin}. */
export interface PluginDefinition<K extends PluginKind = PluginKind, S extends TSchema = TSchema, T = unknown> {
  /** Unique name within its kind (`ifsq`, `vq`, `psnr`). */
  readonly name: string;
  /** What slot the plugin fills. */
  readonly kind: K;
  /** Major plugin-API version the plugin targets; must equal {@link PLUGIN_API_VERSION}. */
  readonly apiVersion: string;
  /** One-line description for `ifsq plugins`. */
  readonly description?: string;
  /** JSON Schema of the options (TypeBox-built). Validated before `create` is called. */
  readonly options: S;
  /** Default option values, merged under the user's options before validation. */
  readonly defaults: Partial<Static<S>>;
  /** Create the plugin's object from a context and validated options. */
  create(ctx: PluginContext, options: Static<S>): T | Promise<T>;
  /**
   * Static facts the validator checks across slots without creating any plugin (no TensorFlow.js needed):
   * which latent kind a quantizer produces, which kinds a generator or stage accepts.
   */
  traits?(options: Static<S>): PluginTraits;
  /** Optional: contribute extra services to the run's container (advanced). */
  register?(container: PluginContainer, options: Static<S>): void;
}

/**
 * Define a plugin. An identity function that gives the definition its types: `options` in `create` is typed from
 * the schema.
 *
 * @example
 * ```ts
 * export default definePlugin({
 *   name: 'clamp', kind: 'quantizer', apiVersion: '1',
 *   options: Type.Object({ levels: Type.Array(Type.Integer({ minimum: 2 })) }),
 *   defaults: { levels: [5, 5, 5, 5] },
 *   create: async (ctx, o) => new (await import('./clamp.js')).ClampQuantizer(o),
 * });
 * ```
 */
export function definePlugin<K extends PluginKind, S extends TSchema, T>(
  definition: PluginDefinition<K, S, T>,
): PluginDefinition<K, S, T> {
  return definition;
}

/** Entry of a package's `package.json` `"ifsq"` manifest. */
export interface ManifestPluginEntry {
  /** Plugin name. */
  name: string;
  /** Plugin kind. */
  kind: PluginKind;
  /** Module (relative to the package root) that exports the definition without importing TensorFlow.js. */
  entry: string;
  /** Export name in that module. @default "default" */
  export?: string;
  /** One-line description. */
  description?: string;
}

/** The `"ifsq"` field of a plugin package's `package.json`. */
export interface PluginManifest {
  /** Plugin API major version. */
  apiVersion: string;
  /** Plugins the package provides. */
  plugins: ManifestPluginEntry[];
}
