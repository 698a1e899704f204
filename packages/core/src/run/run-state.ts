import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/atomic.js';

/** Status of a stage in `state.json`. */
export type StageStatus = 'pending' | 'running' | 'completed' | 'interrupted' | 'failed';

/** One stage's entry in `state.json`. */
export interface StageState {
  /** Current status; `running` after a crash means the stage was cut off and can be resumed. */
  status: StageStatus;
  /** ISO time the last attempt started. */
  startedAt?: string;
  /** ISO time the last attempt ended. */
  endedAt?: string;
  /** Number of attempts so far. */
  attempts: number;
  /** Summary values returned by the stage. */
  summary?: Record<string, number>;
  /** Error message of a failed attempt. */
  error?: string;
}

/** Contents of `state.json`. */
export interface RunStateRecord {
  /** Format version. */
  format: 1;
  /** Fingerprint of the pipeline that produced the state. */
  fingerprint: string;
  /** Stage states by stage key. */
  stages: Record<string, StageState>;
}

/** The per-stage status file of a run directory, rewritten atomically after every change. */
export class RunState {
  readonly #path: string;
  readonly #record: RunStateRecord;

  private constructor(path: string, record: RunStateRecord) {
    this.#path = path;
    this.#record = record;
  }

  /** Load `state.json` or start an empty state for `fingerprint`. */
  static load(path: string, fingerprint: string): RunState {
    if (existsSync(path)) {
      let record: RunStateRecord;
      try {
        record = JSON.parse(readFileSync(path, 'utf8')) as RunStateRecord;
      } catch (error) {
        throw new Error(`${path}: not valid JSON (${(error as Error).message}); rerun with --force to start over`);
      }
      if (typeof record.stages !== 'object' || record.stages === null) {
        throw new Error(`${path}: expected a "stages" object; rerun with --force to start over`);
      }
      return new RunState(path, { ...record, fingerprint });
    }
    return new RunState(path, { format: 1, fingerprint, stages: {} });
  }

  /** State of a stage (`pending` with no attempts when unknown). */
  get(key: string): StageState {
    return this.#record.stages[key] ?? { status: 'pending', attempts: 0 };
  }

  /** Replace a stage's state and write the file. */
  set(key: string, state: StageState): void {
    this.#record.stages[key] = state;
    this.save();
  }

  /** Write the file atomically. */
  save(): void {
    writeFileAtomicSync(this.#path, `${JSON.stringify(this.#record, null, 2)}\n`);
  }
}
