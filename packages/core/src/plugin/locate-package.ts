import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of `@ifsq/core`'s plugin area; built-in packages are also looked up from here. */
export const CORE_PLUGIN_DIR = dirname(fileURLToPath(import.meta.url));

/** Every ancestor folder of `dir`, nearest first, including `dir` itself. */
export function ancestorDirs(dir: string): string[] {
  const dirs: string[] = [];
  let current = dir;
  const { root } = parse(dir);
  for (;;) {
    dirs.push(current);
    if (current === root) return dirs;
    const up = dirname(current);
    if (up === current) return dirs;
    current = up;
  }
}

/** Split an npm specifier into its package name and optional subpath (`@a/b/x` → `@a/b`, `x`). */
export function splitPackageSpecifier(specifier: string): { packageName: string; subpath: string } {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  return { packageName: parts.slice(0, count).join('/'), subpath: parts.slice(count).join('/') };
}

/**
 * Find the folder of an installed package as Node would see it from `fromDir`: first through
 * `createRequire(fromDir).resolve('<name>/package.json')`, then (for packages whose `exports` hide
 * `package.json`) by walking up the `node_modules` folders. Returns the real path, or `undefined`.
 */
export function findPackageDir(packageName: string, fromDir: string): string | undefined {
  const require = createRequire(join(fromDir, '__ifsq_resolve__.js'));
  try {
    return dirname(realpathSync(require.resolve(`${packageName}/package.json`)));
  } catch {
    // Not exported or not installed: fall through to the plain folder walk.
  }
  for (const dir of ancestorDirs(fromDir)) {
    const candidate = join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(candidate)) return dirname(realpathSync(candidate));
  }
  return undefined;
}
