/**
 * Go duration strings (`time.ParseDuration` syntax), which Eraser configs use: an optional sign,
 * then one or more decimal numbers each followed by a unit, e.g. `24h`, `1h30m`, `1.5s`, `-2m`.
 * The bare string `0` is also valid.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// `\d+(\.\d*)?` rather than `\d+\.?\d*`: the latter can split a run of digits in many ways,
// so a long number without a unit took quadratic time to reject (half an hour for 1 MB).
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu;
const WHOLE = /^[-+]?((\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/u;

/** Go's limit: a time.Duration is an int64 count of nanoseconds. */
export const MAX_DURATION_MS = 9_223_372_036_854.775;

/**
 * Parses a Go duration to milliseconds (fractional below 1 ms), or returns undefined when the
 * text is not valid Go duration syntax or exceeds Go's range.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!WHOLE.test(text)) return undefined;

  let total = 0;
  for (const match of text.matchAll(PART)) {
    const [, amount = '', unit = ''] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }

  if (!Number.isFinite(total) || total > MAX_DURATION_MS) return undefined;
  return text.startsWith('-') && total !== 0 ? -total : total;
}

/** Renders milliseconds the way Go prints durations, largest unit first (`1h30m0s`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${+rest.toFixed(6)}ms`;

  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${+(rest / 1000).toFixed(9)}s`;

  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
