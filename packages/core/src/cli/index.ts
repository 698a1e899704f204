export { EXIT, processIO, UsageError, type CliIO } from './io.js';
export { MAIN_HELP, runCli } from './main.js';
export { setRunModuleLoader, type RunModule, type RunOptions, type RunOutcome } from './run-command.js';
