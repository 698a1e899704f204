import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { inject, injectable } from 'tsyringe';
import type { BackendInfo, CheckpointStore, Logger, MetricSink, PluginContext, Rng } from '../contracts/services.js';
import { TOKENS } from './tokens.js';

/** Identifies the plugin a context is built for. */
export interface PluginIdentity {
  /** Plugin name (the RNG stream is forked by this name). */
  name: string;
  /** Slot path in the pipeline (`tokenizer.quantizer`), added to log lines. */
  path?: string;
}

/**
 * Builds the plain {@link PluginContext} objects plugins receive, from the services of one run's container.
 * Resolved per run container, so every context of a run shares that run's sink, store and logger.
 */
@injectable()
export class PluginContextFactory {
  /** Services of the run, injected by explicit tokens. */
  constructor(
    @inject(TOKENS.backend) private readonly backend: BackendInfo,
    @inject(TOKENS.logger) private readonly logger: Logger,
    @inject(TOKENS.rng) private readonly rng: Rng,
    @inject(TOKENS.metrics) private readonly metrics: MetricSink,
    @inject(TOKENS.checkpoints) private readonly checkpoints: CheckpointStore,
    @inject(TOKENS.runDir) private readonly runDir: string,
    @inject(TOKENS.configDir) private readonly configDir: string,
  ) {}

  /** A frozen context for one plugin: logger bound to the plugin, RNG forked from the run seed by plugin name. */
  create(plugin: PluginIdentity): PluginContext {
    const fields: Record<string, unknown> = { plugin: plugin.name };
    if (plugin.path !== undefined) fields.slot = plugin.path;
    return Object.freeze({
      tf,
      backend: this.backend,
      logger: this.logger.child(fields),
      rng: this.rng.fork(plugin.name),
      metrics: this.metrics,
      checkpoints: this.checkpoints,
      runDir: this.runDir,
      configDir: this.configDir,
    });
  }
}
