import { readFileSync } from 'node:fs';
import { PLUGIN_KINDS, type ManifestPluginEntry, type PluginKind, type PluginManifest } from './define-plugin.js';

/** A package that declares plugins in its `package.json` `"ifsq"` manifest. */
export interface PluginPackage {
  /** npm name from `package.json`. */
  name: string;
  /** Version from `package.json`. */
  version: string;
  /** Absolute folder of the package. */
  dir: string;
  /** The validated manifest. */
  manifest: PluginManifest;
}

/** Raised when a `package.json` cannot be read or its `"ifsq"` manifest is malformed. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read and parse a `package.json`; throws {@link ManifestError} naming the file on failure. */
export function readPackageJson(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ManifestError(`${file} must hold a JSON object`);
  return parsed;
}

/** Whether a `package.json` object's `ifsq` field is a plugin manifest (it has a `plugins` list). */
export function hasPluginManifest(pkg: unknown): boolean {
  return isObject(pkg) && isObject(pkg.ifsq) && 'plugins' in pkg.ifsq;
}

function checkEntry(raw: unknown, where: string): ManifestPluginEntry {
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object`);
  const { name, kind, entry, export: exportName, description } = raw;
  if (typeof name !== 'string' || name === '') throw new ManifestError(`${where}.name must be a non-empty string`);
  if (typeof kind !== 'string' || !(PLUGIN_KINDS as readonly string[]).includes(kind)) {
    throw new ManifestError(`${where}.kind must be one of ${PLUGIN_KINDS.join(', ')} (got ${JSON.stringify(kind)})`);
  }
  if (typeof entry !== 'string' || entry === '') throw new ManifestError(`${where}.entry must be a module path`);
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw new ManifestError(`${where}.export must be a string`);
  }
  return {
    name,
    kind: kind as PluginKind,
    entry,
    ...(exportName === undefined ? {} : { export: exportName }),
    ...(typeof description === 'string' ? { description } : {}),
  };
}

/**
 * Read the plugin package at `dir` (its `package.json` and `"ifsq"` manifest) without importing any module.
 * Returns `undefined` when the package has no manifest; throws {@link ManifestError} when it has a malformed one.
 */
export function readPluginPackage(dir: string): PluginPackage | undefined {
  const file = `${dir}/package.json`;
  const pkg = readPackageJson(file);
  if (!hasPluginManifest(pkg)) return undefined;
  const raw = pkg.ifsq as Json;
  const where = `${file} "ifsq"`;
  if (typeof raw.apiVersion !== 'string') throw new ManifestError(`${where}.apiVersion must be a string like "1"`);
  if (!Array.isArray(raw.plugins)) throw new ManifestError(`${where}.plugins must be an array`);
  const plugins = raw.plugins.map((p, i) => checkEntry(p, `${where}.plugins[${i}]`));
  return {
    name: typeof pkg.name === 'string' ? pkg.name : dir,
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    dir,
    manifest: { apiVersion: raw.apiVersion, plugins },
  };
}
