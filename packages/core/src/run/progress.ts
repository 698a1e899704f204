import cliProgress from 'cli-progress';
import type { ProgressReporter } from '../stage/stage.js';

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Number of steps of the loop. */
  total: number;
  /** Step the loop starts at (when resuming). @default 0 */
  start?: number;
  /** Label shown before the bar / at the start of each line. @default "progress" */
  label?: string;
  /** Output stream; a bar is drawn when it is a TTY. @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds between plain lines when the stream is not a TTY. @default 10, or `IFSQ_PROGRESS_INTERVAL` */
  intervalSeconds?: number;
  /** Clock in milliseconds (for tests). @default Date.now */
  now?: () => number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

function formatValues(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' ');
}

/** Speed and remaining time since the reporter was created (steps done in this process only). */
class Rate {
  readonly #t0: number;
  readonly #start: number;
  constructor(start: number, private readonly now: () => number) {
    this.#t0 = now();
    this.#start = start;
  }
  stepsPerSecond(step: number): number {
    const dt = (this.now() - this.#t0) / 1000;
    return dt > 0 ? (step - this.#start) / dt : 0;
  }
  eta(step: number, total: number): number {
    const r = this.stepsPerSecond(step);
    return r > 0 ? (total - step) / r : Number.NaN;
  }
}

/**
 * A {@link ProgressReporter}: a cli-progress bar (step/s, ETA, last values such as the loss) when the stream is a
 * terminal, otherwise one plain line every `intervalSeconds` and a final line on `stop()`.
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const { total } = options;
  const start = options.start ?? 0;
  const label = options.label ?? 'progress';
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const rate = new Rate(start, now);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {rate} step/s | ETA {eta_formatted} | {values}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { rate: '0.00', values: '' });
    let stopped = false;
    return {
      update(step, values = {}) {
        bar.update(step, { rate: rate.stepsPerSecond(step).toFixed(2), values: formatValues(values) });
      },
      stop() {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  const envInterval = Number(process.env.IFSQ_PROGRESS_INTERVAL);
  const intervalMs = 1000 * (options.intervalSeconds ?? (envInterval > 0 ? envInterval : 10));
  let lastLine = now();
  let lastStep = start;
  let lastValues: Record<string, number> = {};
  let stopped = false;
  const line = (step: number, values: Record<string, number>): void => {
    const pct = total > 0 ? ((100 * step) / total).toFixed(1) : '?';
    const tail = formatValues(values);
    stream.write(
      `${label} ${step}/${total} (${pct}%) ${rate.stepsPerSecond(step).toFixed(2)} step/s ETA ${formatDuration(rate.eta(step, total))}${tail ? ` ${tail}` : ''}\n`,
    );
  };
  return {
    update(step, values = {}) {
      lastStep = step;
      lastValues = values;
      if (now() - lastLine >= intervalMs) {
        lastLine = now();
        line(step, values);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      line(lastStep, lastValues);
    },
  };
}
