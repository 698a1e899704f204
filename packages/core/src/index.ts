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
// Each area keeps its own barrel so parallel work never edits this file.
export * from './plugin/index.js';
export * from './config/index.js';
export * from './di/index.js';
export * from './run/index.js';
export * from './backend/index.js';
export * from './io/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './tokenizer/index.js';
