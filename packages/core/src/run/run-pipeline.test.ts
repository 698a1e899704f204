import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../io/checkpoint-store.js';
import { readJsonl } from '../io/jsonl.js';
import { definePlugin, type PluginDefinition } from '../plugin/define-plugin.js';
import type { ResolvedPipeline, ResolvedPlugin } from '../pipeline/types.js';
import type { Stage } from '../stage/stage.js';
import type { ResolvedConfigRecord } from './resolved-config.js';
import { runPipeline } from './run-pipeline.js';

/** Collects the human lines a run prints. */
function sink(): { write(s: string): boolean; text: () => string } {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s) > 0, text: () => chunks.join('') };
}

interface CountHooks {
  /** Start step of every attempt. */
  starts: number[];
  /** Called after each step (tests abort here). */
  afterStep?: (step: number) => void;
}

/**
 * A fake training stage: adds 1 to a variable per step, logs a loss, checks the signal after every step and
 * checkpoints when interrupted; resumes from the checkpoint when `ctx.resume` is set.
 */
function countStage(hooks: CountHooks): PluginDefinition {
  return definePlugin({
    name: 'train-count',
    kind: 'stage',
    apiVersion: '1',
    options: Type.Object({ steps: Type.Integer() }),
    defaults: { steps: 5 },
    create: (_ctx, o): Stage => ({
      async run(ctx) {
        const w = tf.variable(tf.zeros([2]));
        let start = 0;
        if (ctx.resume && ctx.checkpoints.has('count')) {
          const ck = await ctx.checkpoints.load('count');
          const saved = ck?.tensors.get('w');
          if (saved) w.assign(saved);
          tf.dispose([...(ck?.tensors.values() ?? [])]);
          start = ck?.meta.step ?? 0;
        }
        hooks.starts.push(start);
        tf.ones([7]); // deliberately leaked: the run must free it
        const bar = ctx.progress(o.steps, start);
        for (let step = start; step < o.steps; step++) {
          tf.tidy(() => w.assign(w.add(1)));
          const loss = 1 / (step + 1);
          ctx.metrics.write({ stage: ctx.stageName, step: step + 1, split: 'train', values: { loss } });
          bar.update(step + 1, { loss });
          hooks.afterStep?.(step + 1);
          if (ctx.signal.aborted) {
            await ctx.checkpoints.save('count', new Map([['w', w]]), { step: step + 1 });
            bar.stop();
            return { status: 'interrupted' };
          }
        }
        bar.stop();
        const final = w.dataSync()[0];
        ctx.logger.info('counted', { final });
        await ctx.report({ title: 'Counting', values: { final }, text: 'Adds one per step.' });
        await ctx.writeArtifact('count/result.txt', String(final));
        return { status: 'completed', summary: { final } };
      },
    }),
  });
}

/** A fake evaluation stage that instantiates the pipeline's quantizer slot. */
function evalStage(calls: string[]): PluginDefinition {
  return definePlugin({
    name: 'evaluate-count',
    kind: 'stage',
    apiVersion: '1',
    options: Type.Object({}),
    defaults: {},
    create: (): Stage => ({
      async run(ctx) {
        calls.push(ctx.stageName);
        const q = await ctx.instantiate<{ scale: number }>('tokenizer.quantizer');
        expect(await ctx.instantiate('tokenizer.quantizer')).toBe(q);
        await ctx.report({ title: 'Evaluation', values: { scale: q.scale } });
        return { status: 'completed', summary: { scale: q.scale } };
      },
    }),
  });
}

const disposedQuantizers: number[] = [];
const quantizer = definePlugin({
  name: 'fake-quantizer',
  kind: 'quantizer',
  apiVersion: '1',
  options: Type.Object({ scale: Type.Number() }),
  defaults: { scale: 2 },
  create: (_ctx, o) => {
    const v = tf.variable(tf.ones([3]));
    return { scale: o.scale, dispose: () => { disposedQuantizers.push(o.scale); v.dispose(); } };
  },
});

function slot(path: string, definition: PluginDefinition, options: Record<string, unknown> = {}): ResolvedPlugin {
  return {
    path,
    kind: definition.kind,
    definition,
    options: { ...definition.defaults, ...options },
    source: { specifier: definition.name, packageName: '@test/fake', packageVersion: '1.2.3', builtin: false },
  };
}

function pipeline(dir: string, stages: PluginDefinition[], over: { seed?: number; scale?: number; steps?: number } = {}): ResolvedPipeline {
  const stageSlots = stages.map((d, i) => slot(`stages[${i}]`, d, d.name === 'train-count' ? { steps: over.steps ?? 5 } : {}));
  const q = slot('tokenizer.quantizer', quantizer, { scale: over.scale ?? 2 });
  return {
    configPath: join(dir, 'ifsq.config.json'),
    configDir: dir,
    config: { name: 'unit', seed: over.seed ?? 1, backend: 'cpu', stages: stages.map((d) => d.name), output: { run: 'unit' } },
    plugins: new Map([[q.path, q], ...stageSlots.map((s) => [s.path, s] as const)]),
    stages: stageSlots,
    metrics: [],
  };
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ifsq-run-'));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('runPipeline', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('writes the run directory: resolved config, metrics, logs, state, report and artifacts', async () => {
    const dir = tempDir();
    const hooks: CountHooks = { starts: [] };
    const err = sink();
    const start = tf.memory().numTensors;
    const result = await runPipeline(pipeline(dir, [countStage(hooks), evalStage([])]), { stderr: err });
    expect(tf.memory().numTensors).toBe(start);
    expect(result.runDir).toBe(join(dir, 'runs', 'unit'));
    expect(result.stages).toEqual([
      { name: 'train-count', status: 'completed', summary: { final: 5 } },
      { name: 'evaluate-count', status: 'completed', summary: { scale: 2 } },
    ]);
    expect(readdirSync(result.runDir).sort()).toEqual(
      ['checkpoints', 'config.resolved.json', 'count', 'log.jsonl', 'metrics.jsonl', 'report.json', 'report.md', 'stages', 'state.json'].sort(),
    );
    const config = readJson<ResolvedConfigRecord>(join(result.runDir, 'config.resolved.json'));
    expect(config.seed).toBe(1);
    expect(config.backend).toEqual({ requested: 'cpu', name: 'cpu', reason: 'cpu was requested explicitly' });
    expect(config.plugins['tokenizer.quantizer']).toMatchObject({ plugin: 'fake-quantizer', package: '@test/fake', version: '1.2.3', options: { scale: 2 } });
    expect(config.plugins['stages[0]'].options).toEqual({ steps: 5 });
    expect(config.versions).toMatchObject({ node: process.version, tfjs: '4.22.0' });
    const metrics = readJsonl<{ step: number; time: string; values: { loss: number } }>(join(result.runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(metrics[4].values.loss).toBeCloseTo(0.2, 12);
    expect(Number.isNaN(Date.parse(metrics[0].time))).toBe(false);
    const log = readJsonl<{ level: string; msg: string }>(join(result.runDir, 'log.jsonl'));
    expect(log.some((l) => l.msg.startsWith('backend cpu'))).toBe(true);
    expect(err.text()).toMatch(/info {2}.*backend cpu/);
    expect(err.text()).toMatch(/info {2}\[train-count\] counted final=5\n/);
    const state = readJson<{ stages: Record<string, { status: string; attempts: number }> }>(join(result.runDir, 'state.json'));
    expect(state.stages['train-count']).toMatchObject({ status: 'completed', attempts: 1 });
    const report = readFileSync(join(result.runDir, 'report.md'), 'utf8');
    expect(report).toContain('## Counting');
    expect(report).toContain('| final | 5 |');
    expect(report).toContain('## Evaluation');
    expect(readFileSync(join(result.runDir, 'count', 'result.txt'), 'utf8')).toBe('5');
    expect(disposedQuantizers).toContain(2);
  });

  it('skips completed stages on a rerun and runs only the selected ones', async () => {
    const dir = tempDir();
    const hooks: CountHooks = { starts: [] };
    const calls: string[] = [];
    const p = pipeline(dir, [countStage(hooks), evalStage(calls)]);
    await runPipeline(p, { stderr: sink(), stages: ['train-count'] });
    expect(calls).toEqual([]);
    const second = await runPipeline(p, { stderr: sink() });
    expect(hooks.starts).toEqual([0]);
    expect(calls).toEqual(['evaluate-count']);
    expect(second.stages.map((s) => s.status)).toEqual(['skipped', 'completed']);
    expect(second.stages[0].summary).toEqual({ final: 5 });
    const report = readJson<{ sections: { title: string }[] }>(join(second.runDir, 'report.json'));
    expect(report.sections.map((s) => s.title)).toEqual(['Counting', 'Evaluation']);
    await expect(runPipeline(p, { stderr: sink(), stages: ['nope'] })).rejects.toThrow(
      "--stages: unknown stage 'nope'; this pipeline has: train-count, evaluate-count",
    );
  });

  it('refuses a run directory holding a different config unless forced, and --force starts over', async () => {
    const dir = tempDir();
    const hooks: CountHooks = { starts: [] };
    const first = await runPipeline(pipeline(dir, [countStage(hooks)]), { stderr: sink() });
    await expect(runPipeline(pipeline(dir, [countStage(hooks)], { steps: 6 }), { stderr: sink() })).rejects.toThrow(
      /already holds a run of a different configuration \(changed: stages\[0\]\).*--force/,
    );
    const forced = await runPipeline(pipeline(dir, [countStage(hooks)], { steps: 6 }), { stderr: sink(), force: true });
    expect(forced.stages).toEqual([{ name: 'train-count', status: 'completed', summary: { final: 6 } }]);
    expect(hooks.starts).toEqual([0, 0]);
    expect(existsSync(`${first.runDir}.previous/state.json`)).toBe(true);
    expect(readJsonl(join(forced.runDir, 'metrics.jsonl'))).toHaveLength(6);
    // Forcing the same config reruns completed stages too.
    await runPipeline(pipeline(dir, [countStage(hooks)], { steps: 6 }), { stderr: sink(), force: true });
    expect(hooks.starts).toEqual([0, 0, 0]);
  });

  it('--force with selected stages reruns only those and keeps the other stages of an unchanged config', async () => {
    const dir = tempDir();
    const hooks: CountHooks = { starts: [] };
    const calls: string[] = [];
    const p = pipeline(dir, [countStage(hooks), evalStage(calls)]);
    const first = await runPipeline(p, { stderr: sink() });
    const again = await runPipeline(p, { stderr: sink(), force: true, stages: ['evaluate-count'] });
    expect(hooks.starts).toEqual([0]);
    expect(calls).toEqual(['evaluate-count', 'evaluate-count']);
    expect(again.stages).toEqual([{ name: 'evaluate-count', status: 'completed', summary: { scale: 2 } }]);
    expect(existsSync(`${first.runDir}.previous`)).toBe(false);
    const state = readJson<{ stages: Record<string, { status: string; attempts: number }> }>(join(first.runDir, 'state.json'));
    expect(state.stages['train-count']).toMatchObject({ status: 'completed', attempts: 1 });
    expect(state.stages['evaluate-count']).toMatchObject({ status: 'completed', attempts: 2 });
    const report = readJson<{ sections: { title: string }[] }>(join(first.runDir, 'report.json'));
    expect(report.sections.map((x) => x.title)).toEqual(['Counting', 'Evaluation']);
  });

  it('stops at a step boundary when aborted, checkpoints, and resumes to the uninterrupted result', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const hooks: CountHooks = { starts: [], afterStep: (s) => s === 3 && controller.abort() };
    const calls: string[] = [];
    const p = pipeline(dir, [countStage(hooks), evalStage(calls)]);
    const start = tf.memory().numTensors;
    const interrupted = await runPipeline(p, { stderr: sink(), signal: controller.signal });
    expect(interrupted.stages).toEqual([
      { name: 'train-count', status: 'interrupted' },
      { name: 'evaluate-count', status: 'pending' },
    ]);
    expect(calls).toEqual([]);
    const state = readJson<{ stages: Record<string, { status: string }> }>(join(interrupted.runDir, 'state.json'));
    expect(state.stages['train-count'].status).toBe('interrupted');
    const store = new FileCheckpointStore(join(interrupted.runDir, 'checkpoints'));
    expect(store.has('count')).toBe(true);

    hooks.afterStep = undefined;
    const resumed = await runPipeline(p, { stderr: sink(), resume: true });
    expect(hooks.starts).toEqual([0, 3]);
    expect(resumed.stages).toEqual([
      { name: 'train-count', status: 'completed', summary: { final: 5 } },
      { name: 'evaluate-count', status: 'completed', summary: { scale: 2 } },
    ]);
    const steps = readJsonl<{ step: number }>(join(resumed.runDir, 'metrics.jsonl')).map((m) => m.step);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    const after = readJson<{ stages: Record<string, { attempts: number }> }>(join(resumed.runDir, 'state.json'));
    expect(after.stages['train-count'].attempts).toBe(2);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('starts an interrupted stage over without --resume', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const hooks: CountHooks = { starts: [], afterStep: (s) => s === 2 && controller.abort() };
    const p = pipeline(dir, [countStage(hooks)]);
    await runPipeline(p, { stderr: sink(), signal: controller.signal });
    hooks.afterStep = undefined;
    const err = sink();
    const again = await runPipeline(p, { stderr: err });
    expect(hooks.starts).toEqual([0, 0]);
    expect(again.stages[0]).toMatchObject({ status: 'completed', summary: { final: 5 } });
    expect(err.text()).toContain('pass --resume to continue it');
  });

  it('records a failing stage, rethrows its error and still frees the run', async () => {
    const dir = tempDir();
    const failing = definePlugin({
      name: 'explode',
      kind: 'stage',
      apiVersion: '1',
      options: Type.Object({}),
      defaults: {},
      create: () => ({
        async run() {
          tf.zeros([4]);
          throw new Error('boom at step 2');
        },
      }),
    });
    const start = tf.memory().numTensors;
    const p = pipeline(dir, [failing]);
    await expect(runPipeline(p, { stderr: sink() })).rejects.toThrow('boom at step 2');
    expect(tf.memory().numTensors).toBe(start);
    const state = readJson<{ stages: Record<string, { status: string; error: string }> }>(join(dir, 'runs', 'unit', 'state.json'));
    expect(state.stages.explode).toMatchObject({ status: 'failed', error: 'boom at step 2' });
  });

  it('rejects a stage plugin whose object has no run method', async () => {
    const dir = tempDir();
    const broken = definePlugin({ name: 'broken', kind: 'stage', apiVersion: '1', options: Type.Object({}), defaults: {}, create: () => ({}) });
    await expect(runPipeline(pipeline(dir, [broken]), { stderr: sink() })).rejects.toThrow(
      "stage plugin 'broken' (stages[0]): create() must return an object with run(ctx)",
    );
  });

  it('refuses a run directory locked by another live process and takes over a stale lock', async () => {
    const dir = tempDir();
    const hooks: CountHooks = { starts: [] };
    const runDir = join(dir, 'runs', 'unit');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'run.lock'), `${process.ppid}\n`);
    await expect(runPipeline(pipeline(dir, [countStage(hooks)]), { stderr: sink() })).rejects.toThrow(
      `run directory ${runDir} is in use by process ${process.ppid}`,
    );
    expect(hooks.starts).toEqual([]);
    writeFileSync(join(runDir, 'run.lock'), '4194000\n');
    const result = await runPipeline(pipeline(dir, [countStage(hooks)]), { stderr: sink() });
    expect(result.stages[0].status).toBe('completed');
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);
  });

  it('refuses artifact paths outside the run directory', async () => {
    const dir = tempDir();
    const sneaky = definePlugin({
      name: 'sneaky',
      kind: 'stage',
      apiVersion: '1',
      options: Type.Object({}),
      defaults: {},
      create: (): Stage => ({
        async run(ctx) {
          await ctx.writeArtifact('../escape.txt', 'x');
          return { status: 'completed' };
        },
      }),
    });
    await expect(runPipeline(pipeline(dir, [sneaky]), { stderr: sink() })).rejects.toThrow(/inside the run directory/);
    expect(existsSync(join(dir, 'runs', 'escape.txt'))).toBe(false);
  });
});
