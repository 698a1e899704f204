import type * as tf from '@tensorflow/tfjs';

/** Structured logger of a run (lines go to stderr and to the run's `log.jsonl`). */
export interface Logger {
  /** Verbose detail. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal progress. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something the user should look at. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry extra fields (`{ stage, plugin }`). */
  child(fields: Record<string, unknown>): Logger;
}

/** A seeded random stream whose state can be saved and restored (for exact resume). */
export interface Rng {
  /** Uniform float in [0,1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample. */
  normal(): number;
  /** A fresh 31-bit seed for tfjs random ops. */
  seed(): number;
  /** An independent stream derived from this one's seed and `name` (does not advance this stream). */
  fork(name: string): Rng;
  /** Serialisable state. */
  getState(): number[];
  /** Restore a state from {@link Rng.getState}. */
  setState(state: number[]): void;
}

/** One record of `metrics.jsonl`. */
export interface MetricRecord {
  /** Stage that produced it. */
  stage: string;
  /** Training step, or the number of evaluated images for evaluations. */
  step: number;
  /** `train`, `validation`, `test`, ... */
  split: string;
  /** Named values. */
  values: Record<string, number>;
  /** Provenance of the values (extractor, weights hash, variant, ...). */
  provenance?: Record<string, unknown>;
}

/** Append-only sink of metric records (`metrics.jsonl` in the run directory). */
export interface MetricSink {
  /** Append one record (adds a timestamp). */
  write(record: MetricRecord): void;
  /** Every record written so far in this run, including those from earlier, resumed attempts. */
  read(): MetricRecord[];
}

/** Metadata stored next to checkpoint tensors. */
export interface CheckpointMeta {
  /** Training step the checkpoint was taken after. */
  step: number;
  /** Anything else needed to resume exactly (optimizer hyper-state, RNG state, data cursor, config). */
  [key: string]: unknown;
}

/** Atomic storage of named tensors plus a JSON sidecar, keyed by a checkpoint name. */
export interface CheckpointStore {
  /** Directory holding the checkpoints. */
  readonly dir: string;
  /** Write `<name>.safetensors` and `<name>.json` atomically (temp file + rename). */
  save(name: string, tensors: Map<string, tf.Tensor>, meta: CheckpointMeta): Promise<void>;
  /** Load a checkpoint, or `undefined` when absent. The caller disposes the tensors. */
  load(name: string): Promise<{ tensors: Map<string, tf.Tensor>; meta: CheckpointMeta } | undefined>;
  /** Whether a complete checkpoint of this name exists. */
  has(name: string): boolean;
}

/** The tfjs backend a run uses, and why it was chosen. */
export interface BackendInfo {
  /** tfjs backend name (`cpu`, `wasm`, `tensorflow`). */
  name: string;
  /** The configured choice (`auto`, `wasm`, ...). */
  requested: string;
  /** Why this backend was chosen, in one sentence. */
  reason: string;
  /** Threads the backend computes on, when ifsq controls it (the wasm backend's XNNPACK pool). */
  threads?: number;
}

/**
 * What a plugin receives when it is created: run-scoped services, without any dependency-injection API.
 * Plugin authors need no decorators.
 */
export interface PluginContext {
  /** The tfjs module (same instance the run uses). */
  readonly tf: typeof tf;
  /** Selected backend. */
  readonly backend: BackendInfo;
  /** Logger bound to the plugin. */
  readonly logger: Logger;
  /** Seeded RNG stream of the plugin (forked from the run seed by plugin name). */
  readonly rng: Rng;
  /** Metric sink of the run. */
  readonly metrics: MetricSink;
  /** Checkpoint store of the run. */
  readonly checkpoints: CheckpointStore;
  /** Absolute path of the run directory. */
  readonly runDir: string;
  /** Absolute path of the folder holding the pipeline file (relative paths in options resolve from here). */
  readonly configDir: string;
}
