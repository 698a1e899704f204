import type { Logger } from '../contracts/services.js';
import { appendJsonl } from '../io/jsonl.js';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A writable text stream (process.stderr or a test double). */
export interface TextSink {
  /** Write a chunk of text. */
  write(chunk: string): unknown;
}

/** Options of {@link RunLogger}. */
export interface RunLoggerOptions {
  /** JSON Lines file receiving every record (all levels). @default no file */
  file?: string;
  /** Stream receiving human-readable lines. @default process.stderr */
  stream?: TextSink;
  /** Lowest level printed on the stream; the file always gets every level. @default "info", or `IFSQ_LOG_LEVEL` */
  level?: LogLevel;
  /** Fields added to every record. @default {} */
  fields?: Record<string, unknown>;
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(5);
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/**
 * The run's {@link Logger}: one JSON record per line in `log.jsonl` (`{ time, level, msg, ...fields }`) and a
 * short human line per message on stderr (`12:03:04 info  [train-tokenizer] message key=value`).
 */
export class RunLogger implements Logger {
  readonly #options: Required<Omit<RunLoggerOptions, 'file'>> & { file?: string };

  /** @param options - where lines go and which level is printed. */
  constructor(options: RunLoggerOptions = {}) {
    const envLevel = process.env.IFSQ_LOG_LEVEL as LogLevel | undefined;
    this.#options = {
      file: options.file,
      stream: options.stream ?? process.stderr,
      level: options.level ?? (envLevel && envLevel in RANK ? envLevel : 'info'),
      fields: options.fields ?? {},
    };
  }

  #log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    const all = { ...this.#options.fields, ...fields };
    if (this.#options.file) appendJsonl(this.#options.file, { time: new Date().toISOString(), level, msg, ...all });
    if (RANK[level] < RANK[this.#options.level]) return;
    const { stage, plugin, ...rest } = all;
    const where = [stage, plugin].filter((x) => x !== undefined).join('/');
    const tail = Object.entries(rest)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    const time = new Date().toISOString().slice(11, 19);
    this.#options.stream.write(`${time} ${level.padEnd(5)} ${where ? `[${where}] ` : ''}${msg}${tail ? ` ${tail}` : ''}\n`);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.#log('error', message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new RunLogger({ ...this.#options, fields: { ...this.#options.fields, ...fields } });
  }
}
