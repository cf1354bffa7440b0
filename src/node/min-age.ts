/**
 * Age-based removal: `--min-age 7d` keeps every image that arrived on the node (pulled or
 * imported) less than seven days ago, so a cleanup never takes what a rollout just pulled.
 */

import { EraserError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Longer than any node keeps an image; also keeps the sum far from float trouble. */
const MAX_MS = 10 * 366 * 86_400_000;

const DURATION = /^(?:\d{1,12}[smhdw])+$/;

export class InvalidDurationError extends EraserError {
  constructor(text: string, why: string) {
    super(
      'DURATION_INVALID',
      `duration ${JSON.stringify(text)} is invalid: ${why}; expected whole numbers with units ` +
        's, m, h, d or w, e.g. 90m, 12h, 7d or 1w2d',
      { duration: text },
    );
  }
}

/** Parses `1w2d3h` into milliseconds; refuses zero, fractions, spaces and unknown units. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new InvalidDurationError(text, 'not in the expected form');

  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  if (total === 0) throw new InvalidDurationError(text, 'it is zero');
  if (total > MAX_MS) throw new InvalidDurationError(text, 'it is longer than ten years');
  return total;
}

/** `3d4h`, `25m`, `40s`: the two largest units, for report reasons. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(ms / 1000)) * 1000;
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_MS[unit] ?? 1;
    const amount = Math.floor(rest / size);
    if (amount > 0 || (unit === 's' && parts.length === 0)) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.slice(0, 2).join('');
}

/** What `--min-age` needs at decision time: the limit, when each image arrived, and now. */
export interface MinAge {
  /** As the user wrote it, for reasons. */
  readonly text: string;
  readonly ms: number;
  /** Image ID → when it arrived; an image without an entry has an unknown age. */
  readonly arrivals: ReadonlyMap<string, Date>;
  readonly now: Date;
}

/** Why an image is too young to remove, or undefined when it is old enough. */
export function tooRecentReason(imageId: string, minAge: MinAge): string | undefined {
  const arrived = minAge.arrivals.get(imageId);
  if (arrived === undefined) {
    return `arrival time unknown, so --min-age ${minAge.text} keeps it`;
  }
  const age = minAge.now.getTime() - arrived.getTime();
  if (age >= minAge.ms) return undefined;
  const when = arrived.toISOString();
  return `arrived ${formatDuration(age)} ago (${when}), younger than --min-age ${minAge.text}`;
}
