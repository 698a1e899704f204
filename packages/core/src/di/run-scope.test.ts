import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendInfo, Logger, PluginContext } from '../contracts/services.js';
import { definePlugin, type PluginDefinition } from '../plugin/define-plugin.js';
import type { ResolvedPipeline, ResolvedPlugin } from '../pipeline/types.js';
import { RunScope } from './run-scope.js';
import { TOKENS, token } from './tokens.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const backend: BackendInfo = { name: 'cpu', requested: 'cpu', reason: 'test' };

function pipelineWith(dir: string, slots: Record<string, PluginDefinition>, seed = 3): ResolvedPipeline {
  const plugins = new Map<string, ResolvedPlugin>(
    Object.entries(slots).map(([path, definition]) => [
      path,
      { path, kind: definition.kind, definition, options: { ...definition.defaults }, source: { specifier: definition.name, builtin: true } },
    ]),
  );
  return { configPath: join(dir, 'ifsq.config.json'), configDir: dir, config: { seed, stages: [] }, plugins, stages: [], metrics: [] };
}

/** A plugin owning one variable, recording the context it was given. */
function weightPlugin(seen: PluginContext[], disposed: string[]) {
  return definePlugin({
    name: 'weights',
    kind: 'quantizer',
    apiVersion: '1',
    options: Type.Object({ size: Type.Integer() }),
    defaults: { size: 4 },
    create: async (ctx, o) => {
      seen.push(ctx);
      const v = tf.variable(tf.zeros([o.size]));
      return { v, dispose: () => { disposed.push('weights'); v.dispose(); } };
    },
  });
}

describe('RunScope', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives two runs different RNG, metric sink and checkpoint store instances, one per run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-di-'));
    const a = RunScope.open({ runDir: join(dir, 'a'), pipeline: pipelineWith(dir, {}), backend, logger: silent });
    const b = RunScope.open({ runDir: join(dir, 'b'), pipeline: pipelineWith(dir, {}), backend, logger: silent });
    expect(a.resolve(TOKENS.rng)).toBe(a.resolve(TOKENS.rng));
    expect(a.resolve(TOKENS.rng)).not.toBe(b.resolve(TOKENS.rng));
    expect(a.resolve(TOKENS.metrics)).toBe(a.resolve(TOKENS.metrics));
    expect(a.resolve(TOKENS.metrics)).not.toBe(b.resolve(TOKENS.metrics));
    expect(a.resolve(TOKENS.checkpoints).dir).toBe(join(dir, 'a', 'checkpoints'));
    expect(b.resolve(TOKENS.checkpoints).dir).toBe(join(dir, 'b', 'checkpoints'));
    // Same seed, separate streams: drawing from one does not advance the other.
    const first = a.resolve(TOKENS.rng).next();
    expect(b.resolve(TOKENS.rng).next()).toBe(first);
    await a.dispose();
    await b.dispose();
  });

  it('uses Symbol.for tokens so a duplicated package copy finds the same services', () => {
    expect(TOKENS.rng).toBe(Symbol.for('ifsq:rng'));
    expect(token<number>('rng')).toBe(TOKENS.rng);
  });

  it('hands plugins a plain context and creates each slot once per run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-di-'));
    const seen: PluginContext[] = [];
    const disposed: string[] = [];
    const scope = RunScope.open({ runDir: dir, pipeline: pipelineWith(dir, { 'tokenizer.quantizer': weightPlugin(seen, disposed) }), backend, logger: silent });
    const [x, y] = await Promise.all([scope.instantiate('tokenizer.quantizer'), scope.instantiate('tokenizer.quantizer')]);
    expect(x).toBe(y);
    expect(seen).toHaveLength(1);
    const ctx = seen[0];
    expect(Object.keys(ctx).sort()).toEqual(['backend', 'checkpoints', 'configDir', 'logger', 'metrics', 'rng', 'runDir', 'tf']);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(ctx.metrics).toBe(scope.resolve(TOKENS.metrics));
    expect(ctx.runDir).toBe(dir);
    // The plugin's stream is forked by plugin name from the run seed.
    expect(ctx.rng.next()).toBe(scope.resolve(TOKENS.rng).fork('weights').next());
    expect(() => scope.instantiate('generator.model')).toThrow(/no plugin at slot 'generator.model'.*tokenizer.quantizer/);
    await scope.dispose();
    expect(disposed).toEqual(['weights']);
  });

  it('lets plugins register extra services in the run container only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-di-'));
    const EXTRA = token<{ n: number }>('test-extra');
    const contributor = definePlugin({
      name: 'contrib',
      kind: 'metric',
      apiVersion: '1',
      options: Type.Object({ n: Type.Number() }),
      defaults: { n: 7 },
      create: () => ({}),
      register: (container, o) => {
        container.register(EXTRA, { useFactory: () => ({ n: o.n }) });
      },
    });
    const scope = RunScope.open({ runDir: dir, pipeline: pipelineWith(dir, { 'metrics[0]': contributor }), backend, logger: silent });
    expect(scope.resolve(EXTRA)).toEqual({ n: 7 });
    const other = RunScope.open({ runDir: dir, pipeline: pipelineWith(dir, {}), backend, logger: silent });
    expect(other.container.isRegistered(EXTRA, true)).toBe(false);
    await scope.dispose();
    await other.dispose();
  });

  it('frees every tensor and variable the run created, including ones a plugin forgot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-di-'));
    const start = tf.memory().numTensors;
    const leaky = definePlugin({
      name: 'leaky',
      kind: 'backbone',
      apiVersion: '1',
      options: Type.Object({}),
      defaults: {},
      create: () => ({ v: tf.variable(tf.ones([3])), scratch: tf.ones([5]) }),
    });
    const scope = RunScope.open({ runDir: dir, pipeline: pipelineWith(dir, { 'tokenizer.backbone': leaky }), backend, logger: silent });
    await scope.instantiate('tokenizer.backbone');
    tf.tensor1d([1, 2, 3]);
    expect(tf.memory().numTensors).toBeGreaterThan(start);
    await scope.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(scope.disposed).toBe(true);
    await scope.dispose();
    expect(() => scope.instantiate('tokenizer.backbone')).toThrow(/disposed/);
  });

  it('keeps tensors that existed before the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ifsq-di-'));
    const outside = tf.variable(tf.ones([2]));
    const scope = RunScope.open({ runDir: dir, pipeline: pipelineWith(dir, {}), backend, logger: silent });
    tf.tidy(() => outside.assign(outside.add(2)));
    await scope.dispose();
    expect(outside.isDisposed).toBe(false);
    expect([...outside.dataSync()]).toEqual([3, 3]);
    outside.dispose();
  });
});
