import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginSource } from '../pipeline/types.js';
import { builtinKindsOf, findBuiltin, isCoreBuiltin, type CoreBuiltin, type PackageBuiltin } from './builtins.js';
import {
  PLUGIN_API_VERSION,
  PLUGIN_KINDS,
  type ManifestPluginEntry,
  type PluginDefinition,
  type PluginKind,
} from './define-plugin.js';
import { PluginResolutionError } from './errors.js';
import { listInstalledPlugins } from './list-installed.js';
import { CORE_PLUGIN_DIR, findPackageDir, splitPackageSpecifier } from './locate-package.js';
import { ManifestError, readPluginPackage, type PluginPackage } from './manifest.js';
import { closestMatch } from './suggest.js';

/** A plugin definition together with where it came from. */
export interface LoadedPlugin {
  /** The definition exported by the plugin's entry module. */
  definition: PluginDefinition;
  /** Provenance, written into run records. */
  source: PluginSource;
}

/** What to resolve. */
export interface PluginRequest {
  /** The slot's reference: built-in short name, npm package, `package#plugin`, or a relative module path. */
  specifier: string;
  /** Kind the slot needs. */
  kind: PluginKind;
  /** Slot path, used in error messages (`tokenizer.quantizer`). */
  slot: string;
  /** Folder names resolve from: the pipeline file's folder. */
  fromDir: string;
}

/** Loads a core module by its path relative to the plugin folder (replaceable in tests). */
export type CoreModuleLoader = (relativePath: string) => Promise<Record<string, unknown>>;

const defaultCoreLoader: CoreModuleLoader = (relativePath) =>
  import(/* @vite-ignore */ new URL(relativePath, import.meta.url).href) as Promise<Record<string, unknown>>;

let coreLoader: CoreModuleLoader = defaultCoreLoader;

/** Replace how core built-ins are imported (tests only); pass `undefined` to restore the default. */
export function setCoreModuleLoader(loader: CoreModuleLoader | undefined): void {
  coreLoader = loader ?? defaultCoreLoader;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const article = (kind: string): string => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

function kindMismatch(slot: string, name: string, wanted: PluginKind, actual: string): PluginResolutionError {
  return new PluginResolutionError(
    slot,
    'kind-mismatch',
    `kind mismatch: ${slot} needs ${article(wanted)} plugin, but \`${name}\` is ${article(actual)} plugin`,
  );
}

function apiMismatch(slot: string, what: string, version: string): PluginResolutionError {
  return new PluginResolutionError(
    slot,
    'api-version',
    `${what} targets ifsq plugin API v${version}, but this @ifsq/core implements v${PLUGIN_API_VERSION}; ` +
      `install a version built for plugin API v${PLUGIN_API_VERSION}`,
  );
}

/**
 * Check that a value is a usable plugin definition of the slot's kind and API version, naming `what` it is in
 * every error.
 */
export function checkDefinition(value: unknown, kind: PluginKind, slot: string, what: string): PluginDefinition {
  if (!isObject(value)) {
    throw new PluginResolutionError(slot, 'invalid-plugin', `${what} is not a plugin definition (got ${typeof value})`);
  }
  const missing = ['name', 'kind', 'apiVersion', 'options', 'create'].filter((key) => !(key in value));
  if (missing.length > 0 || typeof value.create !== 'function') {
    throw new PluginResolutionError(
      slot,
      'invalid-plugin',
      `${what} is not a plugin definition: missing ${missing.length ? missing.join(', ') : 'a create function'} ` +
        '(build it with definePlugin from @ifsq/core)',
    );
  }
  const def = value as unknown as PluginDefinition;
  if (!(PLUGIN_KINDS as readonly string[]).includes(def.kind)) {
    throw new PluginResolutionError(slot, 'invalid-plugin', `${what} has an unknown kind ${JSON.stringify(def.kind)}`);
  }
  if (String(def.apiVersion) !== PLUGIN_API_VERSION) throw apiMismatch(slot, what, String(def.apiVersion));
  if (def.kind !== kind) throw kindMismatch(slot, def.name, kind, def.kind);
  return def;
}

async function importModule(file: string, slot: string, what: string): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginResolutionError(slot, 'invalid-plugin', `cannot import ${what} (${file}): ${(error as Error).message}`);
  }
}

function pickExport(mod: Record<string, unknown>, exportName: string, slot: string, what: string): unknown {
  if (!(exportName in mod)) {
    const available = Object.keys(mod).join(', ') || 'none';
    throw new PluginResolutionError(slot, 'invalid-plugin', `${what} has no export \`${exportName}\` (exports: ${available})`);
  }
  return mod[exportName];
}

function unknownPlugin(req: PluginRequest): PluginResolutionError {
  const { plugins } = listInstalledPlugins(req.fromDir);
  const bare = req.specifier.includes('#') ? req.specifier.slice(req.specifier.lastIndexOf('#') + 1) : req.specifier;
  const otherKinds = plugins.filter((p) => p.kind !== req.kind && (p.specifier === req.specifier || p.name === bare));
  if (otherKinds.length > 0 && !plugins.some((p) => p.kind === req.kind && p.name === bare)) {
    return kindMismatch(req.slot, req.specifier, req.kind, otherKinds[0].kind);
  }
  const ofKind = plugins.filter((p) => p.kind === req.kind);
  const keys = new Map<string, string>();
  for (const p of ofKind) {
    keys.set(p.specifier, p.specifier);
    if (!keys.has(p.name)) keys.set(p.name, p.specifier);
    if (p.packageName && !p.builtin && !keys.has(p.packageName)) keys.set(p.packageName, p.specifier);
  }
  const key = closestMatch(req.specifier, keys.keys()) ?? closestMatch(bare, keys.keys());
  const suggestion = key === undefined ? undefined : keys.get(key);
  const listed = ofKind.map((p) => (p.builtin ? `${p.specifier} (built-in${p.available ? '' : ', not installed'})` : p.specifier));
  const hint = suggestion ? `; did you mean \`${suggestion}\`?` : '';
  const installed = listed.length > 0 ? ` Known ${req.kind} plugins: ${listed.join(', ')}.` : ` No ${req.kind} plugins are installed.`;
  return new PluginResolutionError(
    req.slot,
    'unknown',
    `unknown ${req.kind} \`${req.specifier}\` (not a built-in name nor a package found from ${req.fromDir})${hint}${installed}`,
    suggestion,
  );
}

function chooseEntry(pkg: PluginPackage, pluginName: string | undefined, req: PluginRequest): ManifestPluginEntry {
  const entries = pkg.manifest.plugins;
  const listed = entries.map((e) => `${e.name} (${e.kind})`).join(', ') || 'none';
  if (pluginName !== undefined) {
    const named = entries.filter((e) => e.name === pluginName);
    const match = named.find((e) => e.kind === req.kind) ?? named[0];
    if (match) return match;
    const guess = closestMatch(pluginName, entries.map((e) => e.name));
    const hint = guess ? `; did you mean \`${pkg.name}#${guess}\`?` : '';
    throw new PluginResolutionError(
      req.slot,
      'unknown',
      `package ${pkg.name}@${pkg.version} has no plugin \`${pluginName}\` (it provides: ${listed})${hint}`,
      guess ? `${pkg.name}#${guess}` : undefined,
    );
  }
  const ofKind = entries.filter((e) => e.kind === req.kind);
  if (ofKind.length === 1) return ofKind[0];
  if (ofKind.length > 1) {
    throw new PluginResolutionError(
      req.slot,
      'invalid-plugin',
      `package ${pkg.name} provides several ${req.kind} plugins (${ofKind.map((e) => e.name).join(', ')}); name one as \`${pkg.name}#${ofKind[0].name}\``,
    );
  }
  if (entries.length > 0) throw kindMismatch(req.slot, pkg.name, req.kind, entries[0].kind);
  throw new PluginResolutionError(req.slot, 'invalid-plugin', `package ${pkg.name} declares no plugins in its "ifsq" manifest`);
}

async function loadFromPackage(
  dir: string,
  pluginName: string | undefined,
  req: PluginRequest,
  builtin: boolean,
): Promise<LoadedPlugin> {
  let pkg: PluginPackage | undefined;
  try {
    pkg = readPluginPackage(dir);
  } catch (error) {
    throw new PluginResolutionError(req.slot, 'invalid-plugin', (error as ManifestError).message);
  }
  if (!pkg) {
    throw new PluginResolutionError(
      req.slot,
      'invalid-plugin',
      `package at ${dir} is not an ifsq plugin package: its package.json has no "ifsq" manifest with a "plugins" list`,
    );
  }
  if (pkg.manifest.apiVersion !== PLUGIN_API_VERSION) {
    throw apiMismatch(req.slot, `package ${pkg.name}@${pkg.version}`, pkg.manifest.apiVersion);
  }
  const entry = chooseEntry(pkg, pluginName, req);
  if (entry.kind !== req.kind) throw kindMismatch(req.slot, `${pkg.name}#${entry.name}`, req.kind, entry.kind);
  const what = `plugin \`${pkg.name}#${entry.name}\``;
  const mod = await importModule(resolvePath(pkg.dir, entry.entry), req.slot, what);
  const definition = checkDefinition(pickExport(mod, entry.export ?? 'default', req.slot, what), req.kind, req.slot, what);
  return {
    definition,
    source: { specifier: req.specifier, packageName: pkg.name, packageVersion: pkg.version, builtin },
  };
}

async function loadPackageBuiltin(target: PackageBuiltin, req: PluginRequest): Promise<LoadedPlugin> {
  const dir = findPackageDir(target.packageName, req.fromDir) ?? findPackageDir(target.packageName, CORE_PLUGIN_DIR);
  if (!dir) {
    throw new PluginResolutionError(
      req.slot,
      'not-installed',
      `built-in ${req.kind} \`${req.specifier}\` comes from the package ${target.packageName}, which is not installed ` +
        `(looked from ${req.fromDir} and from @ifsq/core); install it with \`npm install ${target.packageName}\``,
    );
  }
  return loadFromPackage(dir, target.plugin, req, true);
}

async function loadCoreBuiltin(target: CoreBuiltin, req: PluginRequest): Promise<LoadedPlugin> {
  let mod: Record<string, unknown>;
  try {
    mod = await coreLoader(target.coreModule);
  } catch (error) {
    throw new PluginResolutionError(
      req.slot,
      'not-installed',
      `built-in ${req.kind} \`${req.specifier}\` is not available in this build of @ifsq/core ` +
        `(module ${target.coreModule} could not be loaded: ${(error as Error).message})`,
    );
  }
  const what = `built-in ${req.kind} \`${req.specifier}\``;
  const definition = checkDefinition(pickExport(mod, target.exportName, req.slot, what), req.kind, req.slot, what);
  return { definition, source: { specifier: req.specifier, packageName: '@ifsq/core', builtin: true } };
}

async function loadLocalPath(path: string, exportName: string | undefined, req: PluginRequest): Promise<LoadedPlugin> {
  const full = isAbsolute(path) ? path : resolvePath(req.fromDir, path);
  if (!existsSync(full)) {
    throw new PluginResolutionError(req.slot, 'unknown', `no file or folder ${full} (from ${req.specifier})`);
  }
  if (statSync(full).isDirectory() && existsSync(join(full, 'package.json'))) {
    return loadFromPackage(full, exportName, req, false);
  }
  const what = `module ${req.specifier}`;
  const mod = await importModule(full, req.slot, what);
  const definition = checkDefinition(pickExport(mod, exportName ?? 'default', req.slot, what), req.kind, req.slot, what);
  return { definition, source: { specifier: req.specifier, builtin: false } };
}

/**
 * Resolve a plugin reference of a pipeline slot to its definition.
 *
 * Order: a built-in short name of the slot's kind; a relative or absolute module path; an npm package
 * (`name`, `@scope/name`, `name#plugin`), found from the pipeline file's folder and described by its
 * `package.json` `"ifsq"` manifest. Throws {@link PluginResolutionError} for unknown names (with the installed
 * plugins of that kind and a did-you-mean), kind mismatches and plugin-API version mismatches.
 */
export async function resolvePlugin(req: PluginRequest): Promise<LoadedPlugin> {
  const spec = req.specifier.trim();
  if (spec === '') throw new PluginResolutionError(req.slot, 'unknown', `empty plugin name; name a ${req.kind} plugin`);
  const hash = spec.lastIndexOf('#');
  const base = hash >= 0 ? spec.slice(0, hash) : spec;
  const pluginName = hash >= 0 ? spec.slice(hash + 1) : undefined;

  const builtin = hash < 0 ? findBuiltin(req.kind, spec) : undefined;
  if (builtin) return isCoreBuiltin(builtin) ? loadCoreBuiltin(builtin, req) : loadPackageBuiltin(builtin, req);
  if (hash < 0) {
    const otherKinds = builtinKindsOf(spec);
    if (otherKinds.length > 0) throw kindMismatch(req.slot, spec, req.kind, otherKinds[0]);
  }
  if (base.startsWith('.') || isAbsolute(base) || base.startsWith('file:')) {
    const path = base.startsWith('file:') ? new URL(base).pathname : base;
    return loadLocalPath(path, pluginName, req);
  }
  const { packageName, subpath } = splitPackageSpecifier(base);
  const dir = findPackageDir(packageName, req.fromDir);
  if (!dir) throw unknownPlugin(req);
  if (subpath !== '') {
    const require = createRequire(join(req.fromDir, '__ifsq_resolve__.js'));
    let file: string;
    try {
      file = require.resolve(base);
    } catch (error) {
      throw new PluginResolutionError(req.slot, 'unknown', `cannot resolve ${base}: ${(error as Error).message}`);
    }
    const what = `module ${base}`;
    const mod = await importModule(file, req.slot, what);
    const definition = checkDefinition(pickExport(mod, pluginName ?? 'default', req.slot, what), req.kind, req.slot, what);
    return { definition, source: { specifier: req.specifier, packageName, builtin: false } };
  }
  return loadFromPackage(dir, pluginName, req, false);
}
