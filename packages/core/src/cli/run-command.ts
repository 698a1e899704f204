import { formatIssues } from '../config/issues.js';
import { loadPipeline } from '../config/load-pipeline.js';
import type { ResolvedPipeline } from '../pipeline/types.js';
import { EXIT, type CliIO } from './io.js';

/** Help text of `ifsq run`. */
export const RUN_HELP = `Usage: ifsq run [--config PATH] [--stages a,b] [--resume] [--force] [--threads N]

Validate the pipeline file, then run its stages into a run directory
(output.dir/output.run, default runs/<name>). Stages already finished in that
run directory are skipped.

Options:
  -c, --config PATH   pipeline file to load (default: search from the current folder)
  -s, --stages LIST   comma-separated stage names to run (default: all, in order)
  -r, --resume        continue an interrupted run from its last checkpoint
  -f, --force         rerun stages even when they finished before
  -t, --threads N     CPU threads of the wasm backend, 1-8 or auto (default: the
                      pipeline's threads, else auto = the machine's cores)
  -h, --help          show this help

Exit codes: 0 done, 1 a stage failed, 2 invalid pipeline or usage, 130 interrupted (Ctrl-C).`;

/** Options `ifsq run` passes to the runner. */
export interface RunOptions {
  /** Stage names to run. */
  stages?: string[];
  /** Resume interrupted stages. */
  resume?: boolean;
  /** Rerun finished stages. */
  force?: boolean;
  /** Threads of the wasm backend (overrides the pipeline's `threads`). */
  threads?: number | 'auto';
}

/** What the runner returns. */
export interface RunOutcome {
  /** The run directory. */
  runDir: string;
  /** Per-stage status and summary. */
  stages: { name: string; status: string; summary?: Record<string, number> }[];
}

/** The runner module's shape (`../run/run-pipeline.js`). */
export interface RunModule {
  /** Run a resolved pipeline. */
  runPipeline(pipeline: ResolvedPipeline, options: RunOptions): Promise<RunOutcome>;
}

const defaultRunLoader = (): Promise<RunModule> =>
  import(/* @vite-ignore */ new URL('../run/run-pipeline.js', import.meta.url).href) as Promise<RunModule>;

let runLoader: () => Promise<RunModule> = defaultRunLoader;

/** Replace how the runner module is loaded (tests only); `undefined` restores the default. */
export function setRunModuleLoader(loader: (() => Promise<RunModule>) | undefined): void {
  runLoader = loader ?? defaultRunLoader;
}

function formatSummary(summary: Record<string, number> | undefined): string {
  if (!summary) return '';
  const parts = Object.entries(summary).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : Number(v.toPrecision(5))}`);
  return parts.length ? `  ${parts.join(' ')}` : '';
}

/** `ifsq run`: validate, then hand the pipeline to the runner. */
export async function runCommand(io: CliIO, configPath: string | undefined, options: RunOptions): Promise<number> {
  const loaded = await loadPipeline({ cwd: io.cwd, ...(configPath === undefined ? {} : { configPath }) });
  if (!loaded.ok) {
    io.err(`invalid pipeline${loaded.filepath ? ` ${loaded.filepath}` : ''}:`);
    io.err(formatIssues(loaded.issues));
    return EXIT.invalid;
  }
  const known = loaded.pipeline.stages.map((s) => s.definition.name);
  const unknown = (options.stages ?? []).filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    io.err(`--stages: no stage ${unknown.map((s) => `\`${s}\``).join(', ')} in this pipeline (stages: ${known.join(', ')})`);
    return EXIT.invalid;
  }
  let runner: RunModule;
  try {
    runner = await runLoader();
  } catch (error) {
    io.err(`error: the pipeline runner is not available in this build of @ifsq/core: ${(error as Error).message}`);
    return EXIT.failure;
  }
  let outcome: RunOutcome;
  try {
    outcome = await runner.runPipeline(loaded.pipeline, options);
  } catch (error) {
    const e = error as Error;
    if (e?.name === 'AbortError') {
      io.err('interrupted');
      return EXIT.interrupted;
    }
    const debug = process.env.IFSQ_LOG_LEVEL === 'debug';
    io.err(`error: ${debug ? (e?.stack ?? String(error)) : (e?.message ?? String(error))}`);
    if (!debug) io.err('(set IFSQ_LOG_LEVEL=debug to print the stack trace)');
    return EXIT.failure;
  }
  for (const stage of outcome.stages) io.out(`${stage.name}: ${stage.status}${formatSummary(stage.summary)}`);
  io.out(`run directory: ${outcome.runDir}`);
  if (outcome.stages.some((s) => s.status === 'interrupted')) return EXIT.interrupted;
  if (outcome.stages.some((s) => s.status === 'failed')) return EXIT.failure;
  return EXIT.ok;
}
