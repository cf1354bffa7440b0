import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { meetsRatio, successRatioOf } from './ratio.js';

describe('success ratio', () => {
  test('one failed node of 300 still meets a 0.99 ratio (no integer division)', () => {
    const counts = { desired: 300, succeeded: 299, failed: 1, skipped: 0 };
    assert.equal(meetsRatio(counts, 0.99), true);
    assert.equal(meetsRatio(counts, 1), false);
  });

  test('skipped nodes count as done, as Eraser counts them', () => {
    const counts = { desired: 4, succeeded: 2, failed: 0, skipped: 2 };
    assert.equal(successRatioOf(counts), 1);
    assert.equal(meetsRatio(counts, 1), true);
  });

  test('a ratio written in decimal is met by the exact fraction it names', () => {
    assert.equal(meetsRatio({ desired: 10, succeeded: 7, failed: 3, skipped: 0 }, 0.7), true);
    assert.equal(meetsRatio({ desired: 100, succeeded: 29, failed: 71, skipped: 0 }, 0.29), true);
    assert.equal(meetsRatio({ desired: 100, succeeded: 28, failed: 72, skipped: 0 }, 0.29), false);
  });

  test('a job with no nodes has nothing to fail', () => {
    assert.equal(meetsRatio({ desired: 0, succeeded: 0, failed: 0, skipped: 0 }, 1), true);
  });

  test('meeting the ratio agrees with exact integer arithmetic for every count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100 }),
        (desired, doneRaw, percent) => {
          const done = doneRaw % (desired + 1);
          const counts = { desired, succeeded: done, failed: desired - done, skipped: 0 };
          // done/desired >= percent/100  <=>  100*done >= percent*desired
          assert.equal(meetsRatio(counts, percent / 100), 100 * done >= percent * desired);
        },
      ),
    );
  });
});
