import 'reflect-metadata';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { BackendInfo, CheckpointStore, Logger, MetricSink, PluginContext, Rng } from '../contracts/services.js';
import { FileCheckpointStore } from '../io/checkpoint-store.js';
import type { PluginContainer } from '../plugin/define-plugin.js';
import type { ResolvedPipeline } from '../pipeline/types.js';
import { SeededRng } from '../random/rng.js';
import { JsonlMetricSink } from '../run/metric-sink.js';
import { PluginContextFactory, type PluginIdentity } from './plugin-context-factory.js';
import { TOKENS, type Token } from './tokens.js';

/** Services a run scope is built from. Optional ones get file-backed defaults inside `runDir`. */
export interface RunScopeServices {
  /** Absolute run directory. */
  runDir: string;
  /** The resolved pipeline (its `configDir` and `config.seed` are used). */
  pipeline: ResolvedPipeline;
  /** Selected backend. */
  backend: BackendInfo;
  /** Run logger. */
  logger: Logger;
  /** Metric sink. @default a {@link JsonlMetricSink} on `<runDir>/metrics.jsonl` */
  metrics?: MetricSink;
  /** Checkpoint store. @default a {@link FileCheckpointStore} on `<runDir>/checkpoints` */
  checkpoints?: CheckpointStore;
  /** Root RNG. @default `new SeededRng(pipeline.config.seed ?? 0)` */
  rng?: Rng;
  /** Parent container. @default tsyringe's global container */
  parent?: DependencyContainer;
}

/** Internal engine state used to free the run's tensors; stable in tfjs 4.x. */
interface EngineScopeState {
  state: { activeScope: unknown; scopeStack: unknown[] };
  registeredVariables: Record<string, tf.Variable>;
  startScope(name?: string): void;
  endScope(result?: unknown): void;
}

function isDisposable(value: unknown): value is { dispose(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { dispose?: unknown }).dispose === 'function';
}

/**
 * Everything one run owns: a tsyringe child container with the run-scoped services, the plugin objects created
 * for the run, and the tensors allocated while it was open. {@link RunScope.dispose} frees all three.
 *
 * Tensors are tracked with a tfjs engine scope opened by {@link RunScope.open} and closed on dispose (tensors made
 * with `tf.keep` survive it), plus every `tf.Variable` registered after the scope opened.
 */
export class RunScope {
  /** The run's child container (lookups fall through to the parent). */
  readonly container: DependencyContainer;
  readonly #pipeline: ResolvedPipeline;
  readonly #instances = new Map<string, Promise<unknown>>();
  readonly #owned: unknown[] = [];
  readonly #variablesBefore: Set<string>;
  readonly #engine: EngineScopeState;
  readonly #scope: unknown;
  #disposed = false;

  private constructor(services: RunScopeServices) {
    const parent = services.parent ?? rootContainer;
    const child = parent.createChildContainer();
    const { runDir, pipeline } = services;
    child.register(TOKENS.runDir, { useValue: runDir });
    child.register(TOKENS.configDir, { useValue: pipeline.configDir });
    child.register(TOKENS.pipeline, { useValue: pipeline });
    child.register(TOKENS.seed, { useValue: pipeline.config.seed ?? 0 });
    child.register(TOKENS.backend, { useValue: services.backend });
    child.register(TOKENS.logger, { useValue: services.logger });
    child.register(TOKENS.rng, {
      useFactory: instanceCachingFactory<Rng>((c) => services.rng ?? new SeededRng(c.resolve<number>(TOKENS.seed))),
    });
    child.register(TOKENS.metrics, {
      useFactory: instanceCachingFactory<MetricSink>(
        (c) => services.metrics ?? new JsonlMetricSink(join(c.resolve<string>(TOKENS.runDir), 'metrics.jsonl')),
      ),
    });
    child.register(TOKENS.checkpoints, {
      useFactory: instanceCachingFactory<CheckpointStore>(
        (c) => services.checkpoints ?? new FileCheckpointStore(join(c.resolve<string>(TOKENS.runDir), 'checkpoints')),
      ),
    });
    child.registerSingleton(PluginContextFactory);
    this.container = child;
    this.#pipeline = pipeline;

    const adapter = pluginContainer(child);
    for (const plugin of pipeline.plugins.values()) {
      plugin.definition.register?.(adapter, plugin.options);
    }

    this.#engine = tf.engine() as unknown as EngineScopeState;
    this.#variablesBefore = new Set(Object.keys(this.#engine.registeredVariables));
    this.#engine.startScope('ifsq-run');
    this.#scope = this.#engine.state.activeScope;
  }

  /** Open a run scope: create the child container, register services, call every plugin's `register`. */
  static open(services: RunScopeServices): RunScope {
    return new RunScope(services);
  }

  /** Resolve a service of this run by token. */
  resolve<T>(key: Token<T>): T {
    return this.container.resolve<T>(key);
  }

  /** A plain context object for a plugin (no DI API in it). */
  pluginContext(plugin: PluginIdentity): PluginContext {
    return this.container.resolve(PluginContextFactory).create(plugin);
  }

  /**
   * Create the object of the plugin at a slot path once per run (later calls return the same object), by
   * awaiting `definition.create(ctx, options)`. The object is disposed with the run.
   */
  instantiate<T>(path: string): Promise<T> {
    this.#assertOpen();
    let pending = this.#instances.get(path);
    if (!pending) {
      const plugin = this.#pipeline.plugins.get(path);
      if (!plugin) {
        const known = [...this.#pipeline.plugins.keys()].join(', ') || '(none)';
        throw new Error(`no plugin at slot '${path}' in this pipeline; slots: ${known}`);
      }
      const ctx = this.pluginContext({ name: plugin.definition.name, path });
      pending = Promise.resolve(plugin.definition.create(ctx, plugin.options)).then((object) => {
        this.own(object);
        return object;
      });
      pending.catch(() => this.#instances.delete(path));
      this.#instances.set(path, pending);
    }
    return pending as Promise<T>;
  }

  /** Dispose `object` (when it has `dispose()`) together with the run. Returns it. */
  own<T>(object: T): T {
    if (isDisposable(object)) this.#owned.push(object);
    return object;
  }

  /** Whether {@link RunScope.dispose} already ran. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Free the run: dispose every owned plugin object (last created first), the child container, every tensor
   * allocated in the run's engine scope and every variable registered during the run. Idempotent; errors of
   * individual disposals are collected and rethrown together at the end.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const errors: unknown[] = [];
    for (const object of this.#owned.reverse()) {
      try {
        await (object as { dispose(): unknown }).dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    try {
      await this.container.dispose();
    } catch (error) {
      errors.push(error);
    }
    const engine = this.#engine;
    const stack = engine.state.scopeStack;
    if (stack.includes(this.#scope)) {
      while (engine.state.activeScope !== this.#scope) engine.endScope();
      engine.endScope();
    }
    for (const [name, variable] of Object.entries(engine.registeredVariables)) {
      if (!this.#variablesBefore.has(name) && !variable.isDisposed) variable.dispose();
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} errors while disposing the run`);
  }

  #assertOpen(): void {
    if (this.#disposed) throw new Error('this run has been disposed');
  }
}

/** The structural {@link PluginContainer} view of a tsyringe container handed to plugins' `register`. */
function pluginContainer(child: DependencyContainer): PluginContainer {
  return {
    register(key, provider) {
      if ('useValue' in provider) return child.register(key, { useValue: provider.useValue });
      return child.register(key, { useFactory: (c) => provider.useFactory(c) });
    },
    resolve<T>(key: symbol | string): T {
      return child.resolve<T>(key);
    },
    isRegistered(key, recursive) {
      return child.isRegistered(key, recursive);
    },
  };
}
