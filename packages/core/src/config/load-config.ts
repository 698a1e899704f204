import { existsSync, statSync } from 'node:fs';
import { basename, resolve as resolvePath } from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { TypeScriptLoader } from 'cosmiconfig-typescript-loader';
import { hasPluginManifest } from '../plugin/manifest.js';

/** Module name used for pipeline files (`ifsq.config.*`, `.ifsqrc*`, `package.json#ifsq`). */
export const CONFIG_MODULE_NAME = 'ifsq';

/** File names searched for a pipeline, in order, in each folder from the start folder up to the project root. */
export const PIPELINE_SEARCH_PLACES = [
  'ifsq.config.ts',
  'ifsq.config.mts',
  'ifsq.config.js',
  'ifsq.config.mjs',
  'ifsq.config.json',
  'ifsq.config.yaml',
  'ifsq.config.yml',
  '.ifsqrc',
  '.ifsqrc.json',
  '.ifsqrc.yaml',
  '.ifsqrc.yml',
  'package.json',
] as const;

/** A pipeline file that was found and parsed, not yet validated. */
export interface LoadedPipelineFile {
  /** Absolute path of the file (of `package.json` for `package.json#ifsq`). */
  filepath: string;
  /** The parsed content (the `ifsq` key for `package.json`). */
  config: unknown;
}

/** The pipeline file could not be found or parsed. */
export class ConfigLoadError extends Error {
  override readonly name = 'ConfigLoadError';
}

/** Where to look for a pipeline file. */
export interface LoadConfigOptions {
  /** Folder to start the search from. @default process.cwd() */
  cwd?: string;
  /** Load this file directly instead of searching (the CLI's `--config`); relative to `cwd`. */
  configPath?: string;
}

/**
 * `package.json` files of plugin packages use the same `ifsq` key for their manifest: such a key (one with
 * `plugins`) is not a pipeline, so the loader hides it and the search goes on.
 */
const jsonLoader: Loader = (filepath, content) => {
  const parsed = defaultLoaders['.json'](filepath, content) as unknown;
  if (basename(filepath) === 'package.json' && hasPluginManifest(parsed)) {
    const { [CONFIG_MODULE_NAME]: _manifest, ...rest } = parsed as Record<string, unknown>;
    return rest;
  }
  return parsed;
};

function explorer() {
  const ts = TypeScriptLoader();
  return cosmiconfig(CONFIG_MODULE_NAME, {
    searchStrategy: 'project',
    searchPlaces: [...PIPELINE_SEARCH_PLACES],
    loaders: { '.json': jsonLoader, '.ts': ts, '.mts': ts },
    cache: false,
  });
}

function describeFailure(file: string, error: unknown): ConfigLoadError {
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigLoadError(`cannot load pipeline file ${file}: ${message}`);
}

/** A module's default export when a JS/TS pipeline file exported `{ default: config }` through interop. */
function unwrapDefault(config: unknown): unknown {
  if (typeof config === 'object' && config !== null && 'default' in config && Object.keys(config).length === 1) {
    return (config as { default: unknown }).default;
  }
  return config;
}

/**
 * Find and parse a pipeline file: `--config PATH` when given, otherwise the first of
 * {@link PIPELINE_SEARCH_PLACES} in `cwd` and its parents up to the nearest folder with a `package.json`.
 * Throws {@link ConfigLoadError} naming the file (or the searched folder) on failure.
 */
export async function loadPipelineFile(options: LoadConfigOptions = {}): Promise<LoadedPipelineFile> {
  const cwd = resolvePath(options.cwd ?? process.cwd());
  if (options.configPath !== undefined) {
    const file = resolvePath(cwd, options.configPath);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new ConfigLoadError(`pipeline file ${file} does not exist`);
    }
    let result;
    try {
      result = await explorer().load(file);
    } catch (error) {
      throw describeFailure(file, error);
    }
    if (!result || result.isEmpty || result.config === undefined) {
      throw new ConfigLoadError(
        basename(file) === 'package.json'
          ? `${file} has no "${CONFIG_MODULE_NAME}" pipeline (a plugin manifest is not a pipeline)`
          : `pipeline file ${file} is empty`,
      );
    }
    return { filepath: result.filepath, config: unwrapDefault(result.config) };
  }
  let result;
  try {
    result = await explorer().search(cwd);
  } catch (error) {
    const file = (error as { filepath?: string }).filepath ?? cwd;
    throw describeFailure(file, error);
  }
  if (!result || result.isEmpty || result.config === undefined) {
    throw new ConfigLoadError(
      `no pipeline file found from ${cwd} up to the project root; create ifsq.config.yaml ` +
        `(searched: ${PIPELINE_SEARCH_PLACES.join(', ')}) or pass --config PATH`,
    );
  }
  return { filepath: result.filepath, config: unwrapDefault(result.config) };
}
