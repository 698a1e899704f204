import { formatIssues } from '../config/issues.js';
import { loadPipeline } from '../config/load-pipeline.js';
import { EXIT, type CliIO } from './io.js';

/** Help text of `ifsq validate`. */
export const VALIDATE_HELP = `Usage: ifsq validate [--config PATH]

Load the pipeline file, resolve every plugin and check every option against the
plugins' schemas. Prints every problem as "path: message" and exits 2 when
there is any; prints one OK line and exits 0 otherwise.

Options:
  -c, --config PATH  pipeline file to load (default: search ifsq.config.*,
                     .ifsqrc*, package.json#ifsq from the current folder up
                     to the project root)
  -h, --help         show this help`;

/** `ifsq validate`: print every issue of the pipeline file; exit 2 when invalid. */
export async function validateCommand(io: CliIO, configPath: string | undefined): Promise<number> {
  const result = await loadPipeline({ cwd: io.cwd, ...(configPath === undefined ? {} : { configPath }) });
  if (!result.ok) {
    const where = result.filepath ? ` in ${result.filepath}` : '';
    const count = result.issues.length;
    io.err(`${count} problem${count === 1 ? '' : 's'}${where}:`);
    io.err(formatIssues(result.issues));
    return EXIT.invalid;
  }
  const p = result.pipeline;
  io.out(`OK ${p.configPath}: ${p.plugins.size} plugins, stages: ${p.stages.map((s) => s.definition.name).join(', ')}`);
  return EXIT.ok;
}
