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
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino({ level, base: { app: 'eraser' } }, destination);
}

/** A logger that drops everything, for tests and library callers that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
