import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { RunScope } from '../di/run-scope.js';
import { TOKENS } from '../di/tokens.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { ResolvedPipeline } from '../pipeline/types.js';
import type { StageContext } from '../stage/stage.js';
import { createProgress, type ProgressOptions } from './progress.js';
import type { RunReport } from './report.js';

/** What {@link createStageContext} needs. */
export interface StageContextInit {
  /** The run's scope (services, plugin cache). */
  scope: RunScope;
  /** The run's pipeline. */
  pipeline: ResolvedPipeline;
  /** Run directory. */
  runDir: string;
  /** Stage key (plugin name, `name#2` for a repeated stage). */
  stageName: string;
  /** Slot path of the stage (`stages[0]`). */
  path: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Whether this attempt resumes an interrupted one. */
  resume: boolean;
  /** The run report. */
  report: RunReport;
  /** Stream for progress output. @default process.stderr */
  stream?: ProgressOptions['stream'];
}

/** Resolve `relativePath` inside `root`, refusing absolute paths and paths that leave it. */
export function resolveInside(root: string, relativePath: string): string {
  if (isAbsolute(relativePath)) throw new Error(`artifact path ${relativePath}: expected a path relative to the run directory`);
  const target = resolve(root, relativePath);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`artifact path ${relativePath}: expected a file inside the run directory ${root}`);
  }
  return target;
}

/** Build the {@link StageContext} of one stage attempt. */
export function createStageContext(init: StageContextInit): StageContext {
  const { scope, runDir, stageName } = init;
  const stageDir = join(runDir, 'stages', stageName.replace(/[^A-Za-z0-9._-]/g, '_'));
  mkdirSync(stageDir, { recursive: true });
  const base = scope.pluginContext({ name: stageName.split('#')[0], path: init.path });
  const logger = scope.resolve(TOKENS.logger).child({ stage: stageName });
  return Object.freeze({
    ...base,
    logger,
    pipeline: init.pipeline,
    stageName,
    stageDir,
    signal: init.signal,
    resume: init.resume,
    instantiate: <T>(path: string): Promise<T> => scope.instantiate<T>(path),
    progress: (total: number, start?: number, label?: string) =>
      createProgress({ total, start, label: label ?? stageName, stream: init.stream }),
    report: (section) => init.report.add(stageName, section),
    writeArtifact: async (relativePath: string, data: string | Uint8Array): Promise<string> => {
      const target = resolveInside(runDir, relativePath);
      await writeFileAtomic(target, data);
      return target;
    },
  } satisfies StageContext);
}
