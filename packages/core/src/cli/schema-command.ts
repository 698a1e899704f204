import { composePipelineSchema } from '../config/compose-schema.js';
import { loadKnownPlugins } from '../config/known-plugins.js';
import { EXIT, type CliIO } from './io.js';

/** Help text of `ifsq schema`. */
export const SCHEMA_HELP = `Usage: ifsq schema [--dir PATH]

Print the JSON Schema of pipeline files for editors: the pipeline sections plus,
for each slot, one { use, options } branch per plugin available from the folder.
Save it and point "$schema" (JSON) or a yaml-language-server comment at it:

  ifsq schema > ifsq.schema.json

Options:
  --dir PATH    folder whose installed plugins are included (default: current)
  -h, --help    show this help`;

/** `ifsq schema`: print the composed editor schema. */
export async function schemaCommand(io: CliIO, dir: string): Promise<number> {
  const { plugins, skipped } = await loadKnownPlugins(dir);
  io.out(JSON.stringify(composePipelineSchema(plugins), null, 2));
  for (const line of skipped) io.err(`note: left out ${line}`);
  return EXIT.ok;
}
