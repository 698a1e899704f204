/** Where CLI commands write and what folder they work from (replaceable in tests). */
export interface CliIO {
  /** Write a line of normal output (stdout). */
  out(line: string): void;
  /** Write a line of diagnostics (stderr). */
  err(line: string): void;
  /** Working directory pipeline files are searched from. */
  cwd: string;
}

/** The process's own stdout/stderr and working directory. */
export const processIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd(),
};

/** Exit codes of the `ifsq` CLI. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A runtime failure (a stage threw, a file could not be written). */
  failure: 1,
  /** Invalid pipeline file or command-line usage. */
  invalid: 2,
  /** Stopped by Ctrl-C (SIGINT). */
  interrupted: 130,
} as const;

/** Raised for bad command-line usage; the CLI prints it with the command's help hint and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
