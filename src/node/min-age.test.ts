import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  formatDuration,
  InvalidDurationError,
  parseDuration,
  tooRecentReason,
  type MinAge,
} from './min-age.js';

const H = 3_600_000;

describe('durations for --min-age', () => {
  const good: [string, number][] = [
    ['90s', 90_000],
    ['90m', 90 * 60_000],
    ['12h', 12 * H],
    ['7d', 7 * 24 * H],
    ['1w', 7 * 24 * H],
    ['1w2d3h', (9 * 24 + 3) * H],
    ['0d1h', H],
    ['1209600s', 14 * 24 * H],
    ['315360000s', 3650 * 24 * H],
  ];
  for (const [text, ms] of good) {
    test(`${text} is ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const bad = [
    '',
    '7',
    'd',
    '1.5h',
    '-1h',
    '1 h',
    '1H',
    '1y',
    '0h',
    '0s0m',
    'h1',
    '1h ',
    '9999999d',
  ];
  for (const text of bad) {
    test(`${JSON.stringify(text)} is refused with a message naming it`, () => {
      assert.throws(
        () => parseDuration(text),
        (err: unknown) =>
          err instanceof InvalidDurationError && err.message.includes(JSON.stringify(text)),
      );
    });
  }

  test('more than ten years is refused, and says so', () => {
    for (const text of ['600w', '999999999999s', '100000000d']) {
      assert.throws(() => parseDuration(text), /longer than ten years/);
    }
  });

  test('any string parses to a positive duration or throws InvalidDurationError', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          return parseDuration(text) > 0;
        } catch (err: unknown) {
          return err instanceof InvalidDurationError;
        }
      }),
    );
  });

  test('formatting keeps the two largest units', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(40_000), '40s');
    assert.equal(formatDuration(3 * 24 * H + 4 * H + 5 * 60_000), '3d4h');
    assert.equal(formatDuration(25 * 60_000 + 1500), '25m1s');
  });
});

describe('too recent to remove', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const minAge = (arrivals: [string, string][]): MinAge => ({
    text: '1d',
    ms: 24 * H,
    now,
    arrivals: new Map(arrivals.map(([id, at]) => [id, new Date(at)])),
  });

  test('an image that arrived an hour ago is too recent, and the reason says when', () => {
    const reason = tooRecentReason('a', minAge([['a', '2026-12-04T11:00:00Z']]));
    assert.equal(reason, 'arrived 1h ago (2026-12-04T11:00:00.000Z), younger than --min-age 1d');
  });

  test('an image exactly as old as the limit may go', () => {
    assert.equal(tooRecentReason('a', minAge([['a', '2026-12-03T12:00:00Z']])), undefined);
  });

  test('an image of unknown age is kept', () => {
    assert.match(tooRecentReason('b', minAge([])) ?? '', /arrival time unknown/);
  });
});
