/**
 * Test helper: writes tiny fake plugin packages (package.json with an "ifsq" manifest plus plain ESM entry
 * modules) into a temporary project folder. Not part of the public API.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One fake plugin of a fake package. */
export interface FakePlugin {
  /** Plugin name. */
  name: string;
  /** Kind written in the definition. */
  kind: string;
  /** Kind written in the manifest. @default kind */
  manifestKind?: string;
  /** apiVersion of the definition. @default "1" */
  apiVersion?: string;
  /** Options JSON Schema. @default an object schema with an optional integer `size` ≥ 1 */
  options?: object;
  /** Defaults. @default {} */
  defaults?: object;
  /** JS source of a `traits(options)` function, e.g. `() => ({ produces: 'continuous' })`. */
  traits?: string;
  /** Extra JS statement at the top of the entry module (e.g. a throw, or an import). */
  prelude?: string;
}

/** A fake package. */
export interface FakePackage {
  /** npm name. */
  name: string;
  /** @default "1.2.3" */
  version?: string;
  /** Manifest apiVersion. @default "1" */
  apiVersion?: string;
  /** Plugins. */
  plugins: FakePlugin[];
}

const DEFAULT_OPTIONS = {
  type: 'object',
  properties: { size: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
};

/** Create a temporary project folder (with a package.json) and return its path. */
export function makeProject(prefix = 'ifsq-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fake-project', private: true }));
  return root;
}

/** Remove a folder made by {@link makeProject}. */
export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Write a file, creating its folders. */
export function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Install a fake plugin package into `<dir>/node_modules/<name>` and return its folder. */
export function installFakePackage(dir: string, pkg: FakePackage): string {
  const pkgDir = join(dir, 'node_modules', pkg.name);
  const manifest = {
    apiVersion: pkg.apiVersion ?? '1',
    plugins: pkg.plugins.map((p, i) => ({
      name: p.name,
      kind: p.manifestKind ?? p.kind,
      entry: `./plugin-${i}.js`,
      export: 'default',
      description: `fake ${p.kind} ${p.name}`,
    })),
  };
  writeFile(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version ?? '1.2.3', type: 'module', ifsq: manifest }, null, 2),
  );
  pkg.plugins.forEach((p, i) => {
    const source = `${p.prelude ?? ''}
export default {
  name: ${JSON.stringify(p.name)},
  kind: ${JSON.stringify(p.kind)},
  apiVersion: ${JSON.stringify(p.apiVersion ?? '1')},
  options: ${JSON.stringify(p.options ?? DEFAULT_OPTIONS)},
  defaults: ${JSON.stringify(p.defaults ?? {})},
  ${p.traits ? `traits: ${p.traits},` : ''}
  create: async (_ctx, options) => ({ name: ${JSON.stringify(p.name)}, options }),
};
`;
    writeFile(join(pkgDir, `plugin-${i}.js`), source);
  });
  return pkgDir;
}
