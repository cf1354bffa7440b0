import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { MAX_DURATION_MS, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['-0s', 0],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['300ms', 300],
    ['1s500ms', 1500],
    ['2us', 0.002],
    ['2µs', 0.002],
    ['2μs', 0.002],
    ['1000000ns', 1],
    ['.5s', 500],
    ['1.s', 1000],
    ['+5m', 300_000],
    ['-2m', -120_000],
    ['1h1h', 7_200_000],
  ];
  for (const [text, ms] of valid) {
    test(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const invalid = [
    '',
    ' ',
    '24',
    '1d',
    '1 h',
    'h',
    '.s',
    '1.5',
    '--1s',
    '1h ',
    's1',
    '1e3s',
    '1hh',
  ];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(parseDuration(text), undefined);
    });
  }

  test("rejects durations beyond Go's int64 nanosecond range", () => {
    assert.equal(parseDuration('2562048h'), undefined);
    assert.equal(parseDuration('2562047h'), 2_562_047 * 3_600_000);
    assert.ok(2_562_047 * 3_600_000 < MAX_DURATION_MS);
  });

  test('a megabyte of digits without a unit is refused', () => {
    // A backtracking pattern took about half an hour here; the linear one, milliseconds.
    assert.equal(parseDuration(`${'1'.repeat(1 << 20)}x`), undefined);
  });

  test('never throws and returns undefined or a finite number for any string', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const ms = parseDuration(text);
        assert.ok(ms === undefined || Number.isFinite(ms));
      }),
    );
  });

  test('reads back what formatDuration writes, for whole milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
    );
  });
});

describe('formatDuration', () => {
  test('writes durations the way Go prints them', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(5_400_000), '1h30m0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(-60_000), '-1m0s');
  });
});
