import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, processIO, UsageError, type CliIO } from './io.js';
import { PLUGINS_HELP, pluginsCommand } from './plugins-command.js';
import { RUN_HELP, runCommand } from './run-command.js';
import { SCHEMA_HELP, schemaCommand } from './schema-command.js';
import { VALIDATE_HELP, validateCommand } from './validate-command.js';

/** Help text of `ifsq` itself. */
export const MAIN_HELP = `Usage: ifsq <command> [options]

Commands:
  validate   check a pipeline file and print every problem (exit 2 when invalid)
  run        run a pipeline's stages into a run directory
  plugins    list built-in and installed plugins (no TensorFlow.js loaded)
  schema     print the JSON Schema of pipeline files for editors

Run "ifsq <command> --help" for a command's options.`;

const HELP: Record<string, string> = { validate: VALIDATE_HELP, run: RUN_HELP, plugins: PLUGINS_HELP, schema: SCHEMA_HELP };

const OPTIONS: Record<string, NonNullable<ParseArgsConfig['options']>> = {
  validate: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  run: {
    config: { type: 'string', short: 'c' },
    stages: { type: 'string', short: 's' },
    resume: { type: 'boolean', short: 'r' },
    force: { type: 'boolean', short: 'f' },
    threads: { type: 'string', short: 't' },
    help: { type: 'boolean', short: 'h' },
  },
  plugins: { json: { type: 'boolean' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  schema: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
};

function parse(command: string, args: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: OPTIONS[command], allowPositionals: false, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** `--threads`: a whole number 1–8 or `auto`. */
function parseThreads(value: string | undefined): number | 'auto' | undefined {
  if (value === undefined || value === 'auto') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new UsageError(`--threads: expected a whole number from 1 to 8 or "auto", got ${JSON.stringify(value)}`);
  }
  return n;
}

async function dispatch(command: string, args: string[], io: CliIO): Promise<number> {
  const values = parse(command, args);
  if (values.help) {
    io.out(HELP[command]);
    return EXIT.ok;
  }
  switch (command) {
    case 'validate':
      return validateCommand(io, str(values.config));
    case 'plugins':
      return pluginsCommand(io, resolve(io.cwd, str(values.dir) ?? '.'), values.json === true);
    case 'schema':
      return schemaCommand(io, resolve(io.cwd, str(values.dir) ?? '.'));
    case 'run': {
      const stages = str(values.stages)
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (values.resume && values.force) throw new UsageError('--resume and --force cannot be combined');
      const threads = parseThreads(str(values.threads));
      return runCommand(io, str(values.config), {
        ...(stages ? { stages } : {}),
        ...(threads !== undefined ? { threads } : {}),
        resume: values.resume === true,
        force: values.force === true,
      });
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/**
 * Run the `ifsq` command line with `argv` (without `node` and the script) and return the exit code:
 * 0 ok, 1 runtime failure, 2 invalid pipeline or usage, 130 interrupted.
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    io.out(topic && HELP[topic] ? HELP[topic] : MAIN_HELP);
    return command === undefined ? EXIT.invalid : EXIT.ok;
  }
  if (!Object.hasOwn(HELP, command)) {
    io.err(`ifsq: unknown command "${command}"\n\n${MAIN_HELP}`);
    return EXIT.invalid;
  }
  try {
    return await dispatch(command, rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ifsq ${command}: ${error.message}\nRun "ifsq ${command} --help" for usage.`);
      return EXIT.invalid;
    }
    io.err(`ifsq ${command}: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.failure;
  }
}
