import type { PluginContext } from '../contracts/services.js';
import type { ResolvedPipeline } from '../pipeline/types.js';

/** Reports progress of a long loop (a bar on a terminal, periodic lines otherwise). */
export interface ProgressReporter {
  /** Advance to `step` (absolute), showing the given named values (e.g. `{ loss }`). */
  update(step: number, values?: Record<string, number>): void;
  /** Finish the bar. */
  stop(): void;
}

/** What a stage receives when it runs. */
export interface StageContext extends PluginContext {
  /** The whole resolved pipeline. */
  readonly pipeline: ResolvedPipeline;
  /** Name of this stage (`train-tokenizer`). */
  readonly stageName: string;
  /** Folder for this stage's artifacts inside the run directory. */
  readonly stageDir: string;
  /** Create (once per run, then cached) the object of the plugin at a slot path, e.g. `tokenizer.quantizer`. */
  instantiate<T>(path: string): Promise<T>;
  /** A progress reporter for a loop of `total` steps, starting at `start`. */
  progress(total: number, start?: number, label?: string): ProgressReporter;
  /** Aborted when the user presses Ctrl-C: stop at the next step boundary after writing a checkpoint. */
  readonly signal: AbortSignal;
  /** Whether the user asked to resume an interrupted run. */
  readonly resume: boolean;
  /** Add a section to the run's report (`report.md` / `report.json`). */
  report(section: ReportSection): Promise<void>;
  /** Write a file into the run directory atomically (temp file + rename); returns its absolute path. */
  writeArtifact(relativePath: string, data: string | Uint8Array): Promise<string>;
}

/** A section of the run report. */
export interface ReportSection {
  /** Section title. */
  title: string;
  /** Named numeric results, shown as a table. */
  values?: Record<string, number>;
  /** Provenance of the values. */
  provenance?: Record<string, unknown>;
  /** Free text (Markdown). */
  text?: string;
  /** Relative paths of images (PNG) in the run directory. */
  images?: string[];
}

/** Result of a stage run. */
export interface StageResult {
  /** `completed`, or `interrupted` when stopped by the signal (the stage is rerun on `--resume`). */
  status: 'completed' | 'interrupted';
  /** Summary values written into the run state and report. */
  summary?: Record<string, number>;
}

/** A pipeline stage: the object a `stage` plugin creates. */
export interface Stage {
  /** Run the stage. */
  run(ctx: StageContext): Promise<StageResult>;
}
