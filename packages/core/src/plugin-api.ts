/**
 * `@ifsq/core/plugin-api`: what a plugin's entry module needs — {@link definePlugin} and the contract types — without
 * loading TensorFlow.js, so `ifsq plugins` and `ifsq validate` stay fast. Implementations are imported lazily from
 * `create`.
 * @packageDocumentation
 */
export { definePlugin, PLUGIN_API_VERSION, PLUGIN_KINDS } from './plugin/define-plugin.js';
export type * from './plugin/define-plugin.js';
export type * from './contracts/index.js';
export type * from './stage/stage.js';
export type { PipelineConfig, PluginRef, ResolvedPipeline, ResolvedPlugin } from './pipeline/types.js';
