/**
 * Publishing check: the tarballs `pnpm pack` makes (workspace ranges rewritten to versions) install into an empty
 * folder with npm, and `import('@ifsq/core')` works there. Needs the npm registry for third-party dependencies;
 * set IFSQ_SKIP_PACK_TEST=1 to skip it offline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const packages = ['core', 'metrics', 'quantizer-ifsq'].map((p) => join(root, 'packages', p));
const built = packages.every((p) => existsSync(join(p, 'dist', 'index.js')));

/** pnpm as the test was launched (`npx pnpm@10 test` sets npm_execpath), else from PATH. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: 'utf8' });
  return execFileSync('pnpm', args, { cwd, encoding: 'utf8' });
}

describe.skipIf(!built || process.env.IFSQ_SKIP_PACK_TEST === '1')('packed packages', () => {
  it('install from their tarballs into an empty folder, where @ifsq/core and a plugin import', () => {
    const out = mkdtempSync(join(tmpdir(), 'ifsq-pack-'));
    for (const p of packages) pnpm(['pack', '--pack-destination', out], p);
    const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(packages.length);
    const app = join(out, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '@tensorflow/tfjs@4.22.0', ...tarballs.map((t) => join(out, t))],
      { cwd: app, encoding: 'utf8', timeout: 300_000 },
    );
    const probe = [
      "const core = await import('@ifsq/core');",
      "const q = await import('@ifsq/quantizer-ifsq');",
      "const api = await import('@ifsq/core/plugin-api');",
      "console.log(JSON.stringify({ define: typeof core.definePlugin, fsq: typeof q.createFsq, api: typeof api.definePlugin }));",
    ].join('\n');
    writeFileSync(join(app, 'probe.mjs'), probe);
    const result = JSON.parse(execFileSync(process.execPath, ['probe.mjs'], { cwd: app, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(result).toEqual({ define: 'function', fsq: 'function', api: 'function' });
  }, 400_000);
});
