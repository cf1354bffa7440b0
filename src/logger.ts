import { writeSync } from 'node:fs';

import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * Creates the root logger: JSON lines, one per decision. Logs go to stderr by default so that
 * stdout stays clean for reports (JSON output is meant to be piped).
 */
export function createLogger(
  level: LogLevel = 'info',
  destination: DestinationStream = stderrDestination(),
): Logger {
  return pino({ level, base: { app: 'eraser' } }, destination);
}

/** A logger that drops everything, for tests and library callers that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** How long one log line may wait for a full stderr pipe before it is dropped. */
const FULL_PIPE_WAIT_MS = 2000;
const FULL_PIPE_STEP_MS = 5;

/**
 * Synchronous writes to stderr that give up when nobody reads them. pino's own destination
 * retries a failed write forever, so `eraser run 2>&1 | head` hung once the reader was gone
 * (EPIPE) and ignored SIGTERM. Here a closed pipe turns logging off, and a full one (EAGAIN,
 * stderr being non-blocking) is waited on for a bounded time before the line is dropped: logs
 * must never stop the run they describe.
 */
export function stderrDestination(fd = 2): DestinationStream {
  let open = true;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    write(line: string): void {
      if (!open) return;
      let rest = Buffer.from(line);
      for (let waited = 0; rest.length > 0;) {
        try {
          rest = rest.subarray(writeSync(fd, rest));
        } catch (err: unknown) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EAGAIN' || waited >= FULL_PIPE_WAIT_MS) {
            open = code === 'EAGAIN';
            return;
          }
          Atomics.wait(pause, 0, 0, FULL_PIPE_STEP_MS);
          waited += FULL_PIPE_STEP_MS;
        }
      }
    },
  };
}
