import { listInstalledPlugins } from '../plugin/list-installed.js';
import { resolvePlugin } from '../plugin/resolve-plugin.js';
import type { KnownPlugin } from './compose-schema.js';

/**
 * Load the definition of every available plugin visible from `fromDir` (built-ins and installed packages), for
 * `ifsq schema`. Plugins that fail to load are skipped and described in `skipped`.
 */
export async function loadKnownPlugins(fromDir: string): Promise<{ plugins: KnownPlugin[]; skipped: string[] }> {
  const { plugins: listed, problems } = listInstalledPlugins(fromDir);
  const plugins: KnownPlugin[] = [];
  const skipped = [...problems];
  for (const entry of listed.filter((p) => p.available)) {
    try {
      const { definition } = await resolvePlugin({ specifier: entry.specifier, kind: entry.kind, slot: entry.kind, fromDir });
      plugins.push({ specifier: entry.specifier, definition });
    } catch (error) {
      skipped.push(`${entry.kind} ${entry.specifier}: ${(error as Error).message}`);
    }
  }
  return { plugins, skipped };
}
