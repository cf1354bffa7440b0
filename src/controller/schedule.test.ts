import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { nextCronMs, nextRunMs } from './schedule.js';

const HOUR = 3_600_000;
const ANCHOR = Date.parse('2024-05-01T10:00:00Z');

describe('automated schedule', () => {
  test('with beginImmediately and no run yet, the first run is due at once', () => {
    const schedule = { repeatIntervalMs: 24 * HOUR, beginImmediately: true };
    assert.equal(nextRunMs(schedule, undefined, ANCHOR), ANCHOR);
  });

  test('without beginImmediately the first run waits an interval from the schedule start', () => {
    const schedule = { repeatIntervalMs: 24 * HOUR, beginImmediately: false };
    assert.equal(nextRunMs(schedule, undefined, ANCHOR), ANCHOR + 24 * HOUR);
  });

  test('the next run follows the last run, not the anchor or the process start', () => {
    const schedule = { repeatIntervalMs: 6 * HOUR, beginImmediately: true };
    const last = ANCHOR + 30 * HOUR;
    assert.equal(nextRunMs(schedule, last, ANCHOR), last + 6 * HOUR);
  });

  test('a cron schedule fires at its next slot after the last run, in UTC', () => {
    const schedule = { repeatIntervalMs: HOUR, beginImmediately: true, cron: '0 3 * * *' };
    const last = Date.parse('2024-05-01T03:00:05Z');
    assert.equal(nextRunMs(schedule, last, ANCHOR), Date.parse('2024-05-02T03:00:00Z'));
    assert.equal(
      nextCronMs('@hourly', Date.parse('2024-05-01T10:59:59Z')),
      Date.parse('2024-05-01T11:00:00Z'),
    );
  });
});
