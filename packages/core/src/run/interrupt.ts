import type { Logger } from '../contracts/services.js';

/** Options of {@link installInterruptHandler}. */
export interface InterruptOptions {
  /** Controller aborted on the first Ctrl-C. */
  controller: AbortController;
  /** Where the user is told what happens. */
  logger: Logger;
  /** Called on the second Ctrl-C. @default `process.exit(130)` */
  exit?: (code: number) => void;
  /** Process whose `SIGINT` is handled. @default process */
  target?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/**
 * Handle Ctrl-C during a run: the first SIGINT aborts `controller` (stages stop at the next step boundary after a
 * checkpoint); a second one exits immediately with code 130. Returns a function removing the handler.
 */
export function installInterruptHandler(options: InterruptOptions): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  const onSigint = (): void => {
    count += 1;
    if (count === 1) {
      options.logger.warn('interrupt: stopping at the next step boundary after a checkpoint (Ctrl-C again to exit now)');
      options.controller.abort(new Error('interrupted by SIGINT'));
    } else {
      options.logger.error('interrupt: second Ctrl-C, exiting immediately');
      exit(130);
    }
  };
  target.on('SIGINT', onSigint);
  return () => {
    target.off('SIGINT', onSigint);
  };
}
