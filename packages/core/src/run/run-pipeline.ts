import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../backend/select.js';
import { defaultWasmThreads } from '../backend/wasm/threads.js';
import { RunScope } from '../di/run-scope.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { ResolvedPipeline, ResolvedPlugin } from '../pipeline/types.js';
import type { Stage, StageResult } from '../stage/stage.js';
import { installInterruptHandler } from './interrupt.js';
import { acquireRunLock } from './run-lock.js';
import { RunLogger, type TextSink } from './logger.js';
import { RunReport } from './report.js';
import {
  describeResolvedConfig,
  describeSlots,
  pipelineFingerprint,
  runDirectoryOf,
  type ResolvedConfigRecord,
} from './resolved-config.js';
import { RunState, type StageStatus } from './run-state.js';
import { createStageContext } from './stage-context.js';

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  /** Run only the stages with these names (plugin names); others are left as they are. @default every stage */
  stages?: string[];
  /** Continue interrupted stages from their checkpoints (`ctx.resume` is true for them). @default false */
  resume?: boolean;
  /**
   * Start from scratch: the old run directory is moved to `<run>.previous`, then every stage runs. Together with
   * `stages` and an unchanged config, only the selected stages rerun and the others' results stay.
   * @default false
   */
  force?: boolean;
  /** An extra abort signal (tests, embedding applications); aborting it acts like a first Ctrl-C. */
  signal?: AbortSignal;
  /** Stream for human log lines and progress. @default process.stderr */
  stderr?: TextSink & Partial<Pick<NodeJS.WritableStream, 'on' | 'once' | 'emit'>> & { isTTY?: boolean };
  /** Whether the run trains (chooses the kernel list for `backend: auto`). @default true when a stage name contains "train" */
  training?: boolean;
  /** Module importer for native backends (tests). @default dynamic `import()` */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Threads of the wasm backend; overrides the pipeline's `threads`. @default the pipeline's `threads` ("auto") */
  threads?: number | 'auto';
}

/** Outcome of one stage in {@link RunPipelineResult}. */
export interface StageOutcome {
  /** Stage name. */
  name: string;
  /** `completed`, `interrupted`, `skipped` (completed earlier), `failed`, or `pending` (not reached). */
  status: string;
  /** Summary values returned by the stage. */
  summary?: Record<string, number>;
}

/** Result of {@link runPipeline}. */
export interface RunPipelineResult {
  /** Absolute run directory. */
  runDir: string;
  /** Selected stages in pipeline order. */
  stages: StageOutcome[];
}

interface StageEntry {
  key: string;
  name: string;
  plugin: ResolvedPlugin;
}

function stageEntries(pipeline: ResolvedPipeline): StageEntry[] {
  const seen = new Map<string, number>();
  return pipeline.stages.map((plugin) => {
    const name = plugin.definition.name;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return { key: n === 1 ? name : `${name}#${n}`, name, plugin };
  });
}

function selectEntries(entries: StageEntry[], wanted: string[] | undefined): Set<string> {
  if (!wanted || wanted.length === 0) return new Set(entries.map((e) => e.key));
  const unknown = wanted.filter((w) => !entries.some((e) => e.key === w || e.name === w));
  if (unknown.length > 0) {
    const known = entries.map((e) => e.key).join(', ') || '(none)';
    throw new Error(`--stages: unknown stage ${unknown.map((u) => `'${u}'`).join(', ')}; this pipeline has: ${known}`);
  }
  return new Set(entries.filter((e) => wanted.includes(e.key) || wanted.includes(e.name)).map((e) => e.key));
}

/** Names of the slots whose plugin or options differ between a stored and the current config. */
function differences(stored: Partial<ResolvedConfigRecord>, pipeline: ResolvedPipeline): string[] {
  const out: string[] = [];
  if (stored.seed !== (pipeline.config.seed ?? 0)) out.push('seed');
  if (stored.backend?.requested !== (pipeline.config.backend ?? 'auto')) out.push('backend');
  const now = describeSlots(pipeline);
  const before = stored.plugins ?? {};
  for (const path of new Set([...Object.keys(now), ...Object.keys(before)])) {
    const a = before[path];
    const b = now[path];
    if (!a || !b || JSON.stringify([a.plugin, a.package, a.version, a.options]) !== JSON.stringify([b.plugin, b.package, b.version, b.options])) {
      out.push(path);
    }
  }
  return out;
}

function storedFingerprint(configFile: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(configFile, 'utf8')) as Partial<ResolvedConfigRecord>).fingerprint;
  } catch {
    return undefined;
  }
}

/**
 * Refuse a run directory holding another configuration (unless forced). With force, move it aside; except when
 * only some stages are selected and the config is unchanged: then only those stages rerun, and the other
 * stages' results and checkpoints stay.
 */
function prepareRunDirectory(runDir: string, pipeline: ResolvedPipeline, force: boolean, partial: boolean): string | undefined {
  const configFile = join(runDir, 'config.resolved.json');
  const sameConfig = existsSync(configFile) && storedFingerprint(configFile) === pipelineFingerprint(pipeline);
  if (force && existsSync(runDir) && !(partial && sameConfig)) {
    const previous = `${runDir}.previous`;
    rmSync(previous, { recursive: true, force: true });
    renameSync(runDir, previous);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    return previous;
  }
  if (existsSync(configFile)) {
    let stored: Partial<ResolvedConfigRecord>;
    try {
      stored = JSON.parse(readFileSync(configFile, 'utf8')) as ResolvedConfigRecord;
    } catch {
      throw new Error(`${configFile} is not valid JSON; rerun with --force to start this run over`);
    }
    if (stored.fingerprint !== pipelineFingerprint(pipeline)) {
      const diff = differences(stored, pipeline);
      throw new Error(
        `run directory ${runDir} already holds a run of a different configuration` +
          `${diff.length > 0 ? ` (changed: ${diff.join(', ')})` : ''}. ` +
          'Rerun with --force to replace it (the old run is moved to ' +
          `${runDir}.previous), or set output.run to a new name.`,
      );
    }
  }
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  return undefined;
}

const RESUMABLE: readonly StageStatus[] = ['interrupted', 'running', 'failed'];

/**
 * Run a resolved pipeline's stages in a run directory `<configDir>/<output.dir ?? 'runs'>/<output.run ?? name ??
 * 'run'>` holding `config.resolved.json`, `metrics.jsonl`, `log.jsonl`, `checkpoints/`, `state.json` and
 * `report.md`/`report.json`.
 *
 * Completed stages are skipped on a rerun; `force` starts over; `resume` continues interrupted stages. A stage
 * returning `interrupted` (after Ctrl-C) stops the run; a failing stage is recorded as `failed` and its error is
 * rethrown. Every plugin object and tensor the run created is freed before this returns.
 */
export async function runPipeline(pipeline: ResolvedPipeline, o: RunPipelineOptions = {}): Promise<RunPipelineResult> {
  const entries = stageEntries(pipeline);
  const selected = selectEntries(entries, o.stages);
  const runDir = runDirectoryOf(pipeline);
  const partial = (o.stages?.length ?? 0) > 0;
  const movedTo = prepareRunDirectory(runDir, pipeline, o.force ?? false, partial);
  const releaseLock = acquireRunLock(runDir);
  process.once('exit', releaseLock);
  // The wasm backend's thread-pool workers do not keep the process alive (so a finished run exits); this timer does
  // while the run lasts, whatever it awaits.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    return await runInDirectory(pipeline, o, entries, selected, runDir, movedTo);
  } finally {
    clearInterval(keepAlive);
    process.off('exit', releaseLock);
    releaseLock();
  }
}

async function runInDirectory(
  pipeline: ResolvedPipeline,
  o: RunPipelineOptions,
  entries: StageEntry[],
  selected: Set<string>,
  runDir: string,
  movedTo: string | undefined,
): Promise<RunPipelineResult> {
  const stream = o.stderr ?? process.stderr;
  const logger = new RunLogger({ file: join(runDir, 'log.jsonl'), stream });
  if (movedTo) logger.info(`--force: moved the previous run to ${movedTo}`);
  logger.info(`run directory ${runDir}`);

  const training = o.training ?? pipeline.stages.some((s) => /train/i.test(s.definition.name));
  const threads = o.threads ?? pipeline.config.threads ?? 'auto';
  const backend = await selectBackend(pipeline.config.backend ?? 'auto', {
    training,
    logger,
    wasmThreads: threads === 'auto' ? defaultWasmThreads() : threads,
    ...(o.importModule ? { importModule: o.importModule } : {}),
  });
  const resolved = describeResolvedConfig(pipeline, backend);
  await writeFileAtomic(join(runDir, 'config.resolved.json'), `${JSON.stringify(resolved, null, 2)}\n`);

  const state = RunState.load(join(runDir, 'state.json'), resolved.fingerprint);
  const report = new RunReport(runDir, `Run ${pipeline.config.name ?? 'run'}`, {
    backend: `${backend.name} (${backend.reason})`,
    seed: resolved.seed,
    tfjs: resolved.versions.tfjs,
    node: resolved.versions.node,
  });

  const scope = RunScope.open({ runDir, pipeline, backend, logger });
  const controller = new AbortController();
  const onExternalAbort = (): void => controller.abort(o.signal?.reason);
  if (o.signal?.aborted) onExternalAbort();
  o.signal?.addEventListener('abort', onExternalAbort, { once: true });
  const removeSigint = installInterruptHandler({ controller, logger });

  const outcomes: StageOutcome[] = [];
  let stop = false;
  try {
    for (const entry of entries) {
      if (!selected.has(entry.key)) continue;
      const previous = state.get(entry.key);
      if (previous.status === 'completed' && !o.force) {
        logger.info(`stage ${entry.key} already completed; skipping (use --force to rerun everything)`);
        outcomes.push({ name: entry.key, status: 'skipped', ...(previous.summary ? { summary: previous.summary } : {}) });
        continue;
      }
      if (stop || controller.signal.aborted) {
        outcomes.push({ name: entry.key, status: 'pending' });
        continue;
      }
      const resume = (o.resume ?? false) && RESUMABLE.includes(previous.status);
      if (!o.resume && RESUMABLE.includes(previous.status)) {
        logger.warn(`stage ${entry.key} was ${previous.status} earlier; starting it over (pass --resume to continue it)`);
      }
      const startedAt = new Date().toISOString();
      state.set(entry.key, { status: 'running', startedAt, attempts: previous.attempts + 1 });
      report.clearStage(entry.key);
      logger.info(`stage ${entry.key}${resume ? ' (resuming)' : ''}`);
      let result: StageResult;
      try {
        const stage = await scope.instantiate<Stage>(entry.plugin.path);
        if (!stage || typeof stage.run !== 'function') {
          throw new Error(`stage plugin '${entry.name}' (${entry.plugin.path}): create() must return an object with run(ctx)`);
        }
        const ctx = createStageContext({
          scope,
          pipeline,
          runDir,
          stageName: entry.key,
          path: entry.plugin.path,
          signal: controller.signal,
          resume,
          report,
          stream: stream as NodeJS.WritableStream,
        });
        result = await stage.run(ctx);
        if (!result || (result.status !== 'completed' && result.status !== 'interrupted')) {
          throw new Error(`stage '${entry.key}' returned ${JSON.stringify(result)}; expected { status: 'completed' | 'interrupted' }`);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        state.set(entry.key, { status: 'failed', startedAt, endedAt: new Date().toISOString(), attempts: previous.attempts + 1, error: message });
        outcomes.push({ name: entry.key, status: 'failed' });
        logger.error(`stage ${entry.key} failed: ${message}`);
        throw error;
      }
      state.set(entry.key, {
        status: result.status,
        startedAt,
        endedAt: new Date().toISOString(),
        attempts: previous.attempts + 1,
        ...(result.summary ? { summary: result.summary } : {}),
      });
      outcomes.push({ name: entry.key, status: result.status, ...(result.summary ? { summary: result.summary } : {}) });
      if (result.status === 'interrupted') {
        logger.warn(`stage ${entry.key} interrupted; rerun with --resume to continue from its checkpoint`);
        stop = true;
      } else {
        logger.info(`stage ${entry.key} completed`, result.summary ?? {});
      }
    }
  } finally {
    removeSigint();
    o.signal?.removeEventListener('abort', onExternalAbort);
    report.setStages(entries.map((e) => ({ name: e.key, status: state.get(e.key).status })));
    try {
      await report.write();
    } finally {
      await scope.dispose();
    }
  }
  return { runDir, stages: outcomes };
}

