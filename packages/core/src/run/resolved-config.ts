import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../contracts/services.js';
import type { ResolvedPipeline } from '../pipeline/types.js';

/** One slot of `config.resolved.json`. */
export interface ResolvedSlotRecord {
  /** Plugin kind. */
  kind: string;
  /** Plugin name. */
  plugin: string;
  /** The specifier the pipeline used. */
  specifier: string;
  /** Package providing the plugin (absent for inline definitions). */
  package?: string;
  /** Version of that package. */
  version?: string;
  /** Whether the name was a built-in short name. */
  builtin: boolean;
  /** Options after merging defaults. */
  options: Record<string, unknown>;
}

/** Contents of `config.resolved.json`. */
export interface ResolvedConfigRecord {
  /** Pipeline name. */
  name: string | null;
  /** Absolute path of the pipeline file. */
  configPath: string;
  /** Seed of the run. */
  seed: number;
  /** Requested backend, the backend used and why. */
  backend: { requested: string; name: string; reason: string; threads?: number };
  /** Every slot by path. */
  plugins: Record<string, ResolvedSlotRecord>;
  /** Stage names in order. */
  stages: string[];
  /** Versions of the runtime. */
  versions: { node: string; tfjs: string; core: string };
  /**
   * SHA-256 of what determines the results (seed, requested backend, slots with plugin, package, version and
   * options). A run directory refuses a pipeline with a different fingerprint unless `--force` is given.
   */
  fingerprint: string;
}

/**
 * Absolute run directory: `<configDir>/<output.dir ?? 'runs'>/<output.run>`, or, when `output.run` is not set,
 * `<name ?? 'run'>-<first 8 hex digits of the pipeline fingerprint>`. So editing a pipeline (say `bound: ifsq` →
 * `bound: tanh`) starts a new run next to the old one, while rerunning the same pipeline finds its own run again.
 */
export function runDirectoryOf(pipeline: ResolvedPipeline): string {
  const { output, name } = pipeline.config;
  const dir = output?.dir ?? 'runs';
  const run = output?.run ?? `${name ?? 'run'}-${pipelineFingerprint(pipeline).slice(0, 8)}`;
  if (run === '' || run === '.' || run === '..' || /[\\/]/.test(run)) {
    throw new Error(`output.run: expected a plain folder name, got ${JSON.stringify(run)}`);
  }
  return resolve(isAbsolute(dir) ? dir : resolve(pipeline.configDir, dir), run);
}

function coreVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** JSON with object keys sorted, so equal values always serialise equally. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The slots of a pipeline as recorded in `config.resolved.json`. */
export function describeSlots(pipeline: ResolvedPipeline): Record<string, ResolvedSlotRecord> {
  const slots: Record<string, ResolvedSlotRecord> = {};
  for (const [path, p] of pipeline.plugins) {
    slots[path] = {
      kind: p.kind,
      plugin: p.definition.name,
      specifier: p.source.specifier,
      ...(p.source.packageName !== undefined ? { package: p.source.packageName } : {}),
      ...(p.source.packageVersion !== undefined ? { version: p.source.packageVersion } : {}),
      builtin: p.source.builtin,
      options: p.options,
    };
  }
  return slots;
}

/** Fingerprint of what determines a run's results (see {@link ResolvedConfigRecord.fingerprint}). */
export function pipelineFingerprint(pipeline: ResolvedPipeline): string {
  const slots = Object.entries(describeSlots(pipeline)).map(([path, s]) => [path, s.plugin, s.package, s.version, s.options]);
  const material = {
    seed: pipeline.config.seed ?? 0,
    backend: pipeline.config.backend ?? 'auto',
    stages: pipeline.stages.map((s) => s.path),
    slots,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** Build the `config.resolved.json` record of a run. */
export function describeResolvedConfig(pipeline: ResolvedPipeline, backend: BackendInfo): ResolvedConfigRecord {
  return {
    name: pipeline.config.name ?? null,
    configPath: pipeline.configPath,
    seed: pipeline.config.seed ?? 0,
    backend: {
      requested: backend.requested,
      name: backend.name,
      reason: backend.reason,
      ...(backend.threads ? { threads: backend.threads } : {}),
    },
    plugins: describeSlots(pipeline),
    stages: pipeline.stages.map((s) => s.definition.name),
    versions: { node: process.version, tfjs: tf.version.tfjs, core: coreVersion() },
    fingerprint: pipelineFingerprint(pipeline),
  };
}
