import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_PLUGINS, isCoreBuiltin } from './builtins.js';
import type { PluginKind } from './define-plugin.js';
import { ancestorDirs, CORE_PLUGIN_DIR, findPackageDir } from './locate-package.js';
import { readPluginPackage, type PluginPackage } from './manifest.js';

/** One plugin a pipeline could name, as listed by `ifsq plugins`. */
export interface InstalledPlugin {
  /** Plugin name (`ifsq`, `clamp`). */
  name: string;
  /** Plugin kind. */
  kind: PluginKind;
  /** What to write in a pipeline slot to use it (`ifsq`, `@acme/clamp#clamp`). */
  specifier: string;
  /** Whether `specifier` is a built-in short name. */
  builtin: boolean;
  /** Whether its code can be found from the folder that was searched (false for built-ins whose package is missing). */
  available: boolean;
  /** npm package providing it (absent for plugins inside `@ifsq/core`). */
  packageName?: string;
  /** Version of that package. */
  packageVersion?: string;
  /** One-line description from the manifest. */
  description?: string;
}

/** Result of {@link listInstalledPlugins}. */
export interface PluginListing {
  /** Built-ins first, then installed packages' plugins, each sorted by kind and name. */
  plugins: InstalledPlugin[];
  /** Packages whose manifest could not be read, one message each. */
  problems: string[];
}

function packageFoldersIn(nodeModules: string): string[] {
  const folders: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const full = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(full, { withFileTypes: true })) {
        if (scoped.isDirectory() || scoped.isSymbolicLink()) folders.push(join(full, scoped.name));
      }
    } else {
      folders.push(full);
    }
  }
  return folders;
}

/**
 * Plugin packages visible from `fromDir`: every package in each `node_modules` folder from `fromDir` up to the
 * filesystem root whose `package.json` has an `"ifsq"` manifest. The nearest copy of a package wins. Reads only
 * `package.json` files; never imports a module.
 */
export function findPluginPackages(fromDir: string): { packages: PluginPackage[]; problems: string[] } {
  const byName = new Map<string, PluginPackage>();
  const problems: string[] = [];
  for (const dir of ancestorDirs(fromDir)) {
    const nodeModules = join(dir, 'node_modules');
    if (!existsSync(nodeModules)) continue;
    for (const folder of packageFoldersIn(nodeModules)) {
      if (!existsSync(join(folder, 'package.json'))) continue;
      try {
        const pkg = readPluginPackage(folder);
        if (pkg && !byName.has(pkg.name)) byName.set(pkg.name, pkg);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  return { packages: [...byName.values()], problems };
}

const byKindThenName = (a: InstalledPlugin, b: InstalledPlugin): number =>
  a.kind.localeCompare(b.kind) || a.specifier.localeCompare(b.specifier);

/**
 * Every plugin a pipeline in `fromDir` can name: the built-in short names (marked unavailable when their package
 * is not installed) and the plugins declared by installed packages' manifests. No plugin module is imported, so
 * this never loads TensorFlow.js.
 */
export function listInstalledPlugins(fromDir: string): PluginListing {
  const { packages, problems } = findPluginPackages(fromDir);
  const builtins: InstalledPlugin[] = [];
  const claimed = new Set<string>();
  for (const kind of Object.keys(BUILTIN_PLUGINS) as PluginKind[]) {
    for (const [name, target] of Object.entries(BUILTIN_PLUGINS[kind])) {
      if (isCoreBuiltin(target)) {
        builtins.push({ name, kind, specifier: name, builtin: true, available: true, packageName: '@ifsq/core' });
        continue;
      }
      claimed.add(`${target.packageName}#${target.plugin}`);
      const dir = findPackageDir(target.packageName, fromDir) ?? findPackageDir(target.packageName, CORE_PLUGIN_DIR);
      let pkg: PluginPackage | undefined;
      try {
        pkg = dir ? readPluginPackage(dir) : undefined;
      } catch (error) {
        problems.push((error as Error).message);
      }
      const entry = pkg?.manifest.plugins.find((p) => p.name === target.plugin && p.kind === kind);
      builtins.push({
        name,
        kind,
        specifier: name,
        builtin: true,
        available: entry !== undefined,
        packageName: target.packageName,
        ...(pkg ? { packageVersion: pkg.version } : {}),
        ...(entry?.description ? { description: entry.description } : {}),
      });
    }
  }
  const installed: InstalledPlugin[] = [];
  for (const pkg of packages) {
    for (const entry of pkg.manifest.plugins) {
      const key = `${pkg.name}#${entry.name}`;
      if (claimed.has(key)) continue;
      installed.push({
        name: entry.name,
        kind: entry.kind,
        specifier: pkg.manifest.plugins.length === 1 ? pkg.name : key,
        builtin: false,
        available: true,
        packageName: pkg.name,
        packageVersion: pkg.version,
        ...(entry.description ? { description: entry.description } : {}),
      });
    }
  }
  return { plugins: [...builtins.sort(byKindThenName), ...installed.sort(byKindThenName)], problems };
}
