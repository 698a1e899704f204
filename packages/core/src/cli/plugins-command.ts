import { listInstalledPlugins, type InstalledPlugin } from '../plugin/list-installed.js';
import { EXIT, type CliIO } from './io.js';

/** Help text of `ifsq plugins`. */
export const PLUGINS_HELP = `Usage: ifsq plugins [--json] [--dir PATH]

List the built-in plugins and every plugin declared by an installed package's
package.json "ifsq" manifest, as seen from a folder. Reads manifests only:
no plugin code (and no TensorFlow.js) is loaded.

Options:
  --json        print a JSON array instead of a table
  --dir PATH    folder to look from (default: the current folder)
  -h, --help    show this help`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

function row(p: InstalledPlugin): string[] {
  const from = p.packageName ? `${p.packageName}${p.packageVersion ? `@${p.packageVersion}` : ''}` : '';
  const missing = p.packageVersion ? 'built-in, missing from its package' : 'built-in, not installed';
  const status = p.builtin ? (p.available ? 'built-in' : missing) : 'installed';
  return [p.kind, p.specifier, status, from, p.description ?? ''];
}

/** `ifsq plugins`: list built-in and installed plugins from manifests. */
export function pluginsCommand(io: CliIO, dir: string, json: boolean): number {
  const { plugins, problems } = listInstalledPlugins(dir);
  if (json) {
    io.out(JSON.stringify(plugins, null, 2));
  } else {
    for (const line of table([['KIND', 'NAME', 'STATUS', 'PACKAGE', 'DESCRIPTION'], ...plugins.map(row)])) io.out(line);
  }
  for (const problem of problems) io.err(`warning: ${problem}`);
  return EXIT.ok;
}
