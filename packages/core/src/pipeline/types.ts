import type { PluginDefinition, PluginKind } from '../plugin/define-plugin.js';

/**
 * A reference to a plugin in a pipeline file: a bare name (`ifsq`, `my-pkg`, `my-pkg#clamp`), a
 * `{ use, options }` object, or (in TS pipeline files) a plugin definition object itself.
 */
export type PluginRef<O extends object = Record<string, unknown>> =
  | string
  | {
      /** Built-in short name, npm package name, or `package#plugin`. */
      use: string;
      /** Options validated against the plugin's schema; merged over the plugin's defaults. */
      options?: O;
    }
  | { plugin: PluginDefinition; options?: O };

/** Backends a pipeline can ask for. */
export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The `tokenizer` section. */
export interface TokenizerSection {
  /** Shared encoder/decoder. @default "conv-resnet" */
  backbone?: PluginRef;
  /** The bottleneck: `ifsq`, `vq`, `vae`, `ae` or a third-party quantizer. */
  quantizer: PluginRef;
  /** Optional feature network (a `feature-extractor` plugin) for the perceptual term of the tokenizer loss. */
  perceptual?: PluginRef;
}

/** The `generator` section. */
export interface GeneratorSection {
  /** The generator model (`dit`, `llamagen`, ...). */
  model: PluginRef;
  /** Optional representation aligner (`repa`). */
  aligner?: PluginRef;
}

/** Where runs are written. */
export interface OutputSection {
  /** Folder holding run directories, relative to the pipeline file. @default "runs" */
  dir?: string;
  /**
   * Name of this run's directory. @default `<name>-<fingerprint>`: the pipeline's `name` (else "run") and the first
   * 8 hex digits of a hash of everything that determines the results, so an edited pipeline gets its own run.
   */
  run?: string;
}

/** A pipeline file: what `defineConfig` types and `ifsq validate` checks. */
export interface PipelineConfig {
  /** JSON Schema reference for editors (ignored by the runner). */
  $schema?: string;
  /** Pipeline name; also the default run directory name. */
  name?: string;
  /** Seed of every random stream of the run. @default 0 */
  seed?: number;
  /** Compute backend. @default "auto" */
  backend?: BackendChoice;
  /**
   * CPU threads of the wasm backend (its convolutions and matrix products); `auto` is the machine's logical cores,
   * at most 8. Results do not depend on it, so it is not part of the run's fingerprint; `ifsq run --threads`
   * overrides it. @default "auto"
   */
  threads?: number | 'auto';
  /** Dataset plugin. */
  data?: PluginRef;
  /** Tokenizer: shared backbone plus quantizer slot. */
  tokenizer?: TokenizerSection;
  /** Generator slot plus optional aligner slot. */
  generator?: GeneratorSection;
  /** Metric plugins used by evaluation stages. @default [] */
  metrics?: PluginRef[];
  /** Stages to run, in order (`train-tokenizer`, `evaluate-tokenizer`, `encode`, ...). */
  stages: PluginRef[];
  /** Output location. */
  output?: OutputSection;
}

/** Where a resolved plugin came from. */
export interface PluginSource {
  /** The string the pipeline used (`ifsq`, `@acme/clamp-quantizer`). */
  specifier: string;
  /** npm package that provides it (absent for inline definitions). */
  packageName?: string;
  /** Version of that package. */
  packageVersion?: string;
  /** Whether the name was a built-in short name. */
  builtin: boolean;
}

/** One plugin slot of a pipeline after resolution and validation. */
export interface ResolvedPlugin {
  /** Slot path in the pipeline (`tokenizer.quantizer`, `metrics[1]`, `stages[0]`). */
  path: string;
  /** Kind required by the slot. */
  kind: PluginKind;
  /** The loaded definition. */
  definition: PluginDefinition;
  /** Options after merging defaults; valid against the definition's schema. */
  options: Record<string, unknown>;
  /** Provenance. */
  source: PluginSource;
}

/** A pipeline after loading, resolution and validation. */
export interface ResolvedPipeline {
  /** Absolute path of the pipeline file (or of package.json for `package.json#ifsq`). */
  configPath: string;
  /** Folder of the pipeline file. */
  configDir: string;
  /** The raw config as written (after cosmiconfig loading). */
  config: PipelineConfig;
  /** Every resolved slot by path. */
  plugins: Map<string, ResolvedPlugin>;
  /** Stage slots in order. */
  stages: ResolvedPlugin[];
  /** Metric slots in order. */
  metrics: ResolvedPlugin[];
}

/** Type helper for pipeline files written in TypeScript or JavaScript. */
export function defineConfig(config: PipelineConfig): PipelineConfig {
  return config;
}
