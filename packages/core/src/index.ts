/**
 * `@ifsq/core`: contracts, plugins, pipelines, nn layers, data, training loop and CLI of the ifsq framework.
 * @packageDocumentation
 */
export * from './contracts/index.js';
export * from './plugin/define-plugin.js';
export * from './nn/module.js';
export * from './random/rng.js';
export * from './pipeline/types.js';
export type * from './stage/stage.js';
