export { ajv, compileSchema } from './ajv.js';
export { composePipelineSchema, type KnownPlugin } from './compose-schema.js';
export { BACKEND_CHOICES, envelopeSchema, pluginSlotSchema, type SlotSchemas } from './envelope-schema.js';
export { ajvIssues, formatIssues, joinPath, pointerToPath, type ConfigIssue, type IssuePhase } from './issues.js';
export { loadKnownPlugins } from './known-plugins.js';
export {
  CONFIG_MODULE_NAME,
  ConfigLoadError,
  loadPipelineFile,
  PIPELINE_SEARCH_PLACES,
  type LoadConfigOptions,
  type LoadedPipelineFile,
} from './load-config.js';
export { loadPipeline, type LoadedPipeline } from './load-pipeline.js';
export { mergeOptions } from './merge-options.js';
export { DEFAULT_BACKBONE, validatePipeline, type PipelineValidation } from './validate-pipeline.js';
