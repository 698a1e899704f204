import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * Append one JSON value as a line to a JSON Lines file (created when absent). A single `write` of a whole line
 * keeps concurrent appenders from interleaving within a line.
 */
export function appendJsonl(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`, 'utf8');
}

/**
 * Read every record of a JSON Lines file; `[]` when it does not exist. A torn last line (a crash mid-append) is
 * ignored; a malformed line elsewhere is an error naming the file and line.
 */
export function readJsonl<T = unknown>(path: string): T[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new Error(`${path}:${i + 1}: not valid JSON (expected one JSON record per line)`);
    }
  });
  return out;
}
