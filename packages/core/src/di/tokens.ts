import type { BackendInfo, CheckpointStore, Logger, MetricSink, Rng } from '../contracts/services.js';
import type { ResolvedPipeline } from '../pipeline/types.js';

/**
 * A dependency-injection token: a global symbol (`Symbol.for('ifsq:<name>')`, so it survives duplicated copies of
 * this package) that carries the type of the service it names.
 */
export type Token<T> = symbol & { readonly __service?: T };

/** Create (or look up) the token `Symbol.for('ifsq:<name>')` for a service of type `T`. */
export function token<T>(name: string): Token<T> {
  return Symbol.for(`ifsq:${name}`) as Token<T>;
}

/** Tokens of the run-scoped services every run's child container holds. */
export const TOKENS = {
  /** Absolute path of the run directory. */
  runDir: token<string>('run-dir'),
  /** Absolute path of the folder holding the pipeline file. */
  configDir: token<string>('config-dir'),
  /** The resolved pipeline of the run. */
  pipeline: token<ResolvedPipeline>('pipeline'),
  /** Seed of the run (the pipeline's `seed`). */
  seed: token<number>('seed'),
  /** Selected tfjs backend and the reason. */
  backend: token<BackendInfo>('backend'),
  /** Run logger (`log.jsonl` + stderr). */
  logger: token<Logger>('logger'),
  /** Root seeded RNG of the run; plugins get streams forked from it. */
  rng: token<Rng>('rng'),
  /** Metric sink (`metrics.jsonl`). */
  metrics: token<MetricSink>('metric-sink'),
  /** Checkpoint store (`checkpoints/`). */
  checkpoints: token<CheckpointStore>('checkpoint-store'),
} as const;
