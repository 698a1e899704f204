import type { ConfigIssue } from './issues.js';
import { ConfigLoadError, loadPipelineFile, type LoadConfigOptions } from './load-config.js';
import { validatePipeline, type PipelineValidation } from './validate-pipeline.js';

/** Result of {@link loadPipeline}: the validation outcome plus the file it came from (when one was found). */
export type LoadedPipeline = PipelineValidation & {
  /** Absolute path of the pipeline file, when one was found. */
  filepath?: string;
};

/**
 * Find (or load from `configPath`), parse, validate and resolve a pipeline file. A missing or unparsable file is
 * returned as a single `load` issue instead of being thrown.
 */
export async function loadPipeline(options: LoadConfigOptions = {}): Promise<LoadedPipeline> {
  let file;
  try {
    file = await loadPipelineFile(options);
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    const issue: ConfigIssue = { path: options.configPath ?? '(config)', message: error.message, phase: 'load' };
    return { ok: false, issues: [issue] };
  }
  const result = await validatePipeline(file.config, file.filepath);
  return { ...result, filepath: file.filepath };
}
