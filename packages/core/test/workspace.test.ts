/**
 * Publishing rules every package of the workspace follows (issue: "every package is publishable").
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const packages = readdirSync(join(root, 'packages')).map((name) => ({
  name,
  dir: join(root, 'packages', name),
  pkg: JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as Record<string, any>,
}));

describe.each(packages)('packages/$name', ({ dir, pkg }) => {
  it('is an ESM package whose exports list types first, with files, engines, sideEffects and a README', () => {
    expect(pkg.type).toBe('module');
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target === 'object' && target !== null) expect(Object.keys(target)[0], subpath).toBe('types');
    }
    expect(pkg.files).toContain('dist');
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.sideEffects).toBeDefined();
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    expect(pkg.publishConfig?.access).toBe('public');
  });

  it('pins @tensorflow/tfjs to 4.22.0 as a peer and depends on other workspace packages through workspace:^', () => {
    expect(pkg.peerDependencies['@tensorflow/tfjs']).toBe('4.22.0');
    for (const deps of [pkg.dependencies ?? {}, pkg.peerDependencies ?? {}]) {
      for (const [name, range] of Object.entries(deps as Record<string, string>)) {
        if (name.startsWith('@ifsq/')) expect(range, name).toBe('workspace:^');
      }
    }
  });

  it('is at major version ≥ 1, so a minor core release stays inside every plugin\'s ^ range', () => {
    expect(Number(String(pkg.version).split('.')[0])).toBeGreaterThanOrEqual(1);
  });
});
