import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { parseWorkerSummary } from './worker-report.js';

describe('worker report in a termination message', () => {
  test('the totals of a full `eraser run -o json` report are read', () => {
    const report = {
      endpoint: 'unix:///x',
      decisions: [],
      totals: { images: 9, removed: 3, failed: 1 },
    };
    assert.deepEqual(parseWorkerSummary(JSON.stringify(report)), {
      removed: 3,
      failed: 1,
      images: 9,
    });
  });

  test('a compact summary without a totals wrapper is read too', () => {
    assert.deepEqual(parseWorkerSummary('{"removed": 2}\n'), { removed: 2, failed: 0 });
  });

  test('a log tail, truncated JSON or an empty message is no summary', () => {
    for (const text of [
      undefined,
      '',
      'level=info removed image',
      '{"totals": {"removed": 3',
      '[1,2]',
    ]) {
      assert.equal(parseWorkerSummary(text), undefined, String(text));
    }
  });

  test('negative, fractional or absurd counts are refused rather than reported', () => {
    for (const removed of [-1, 1.5, 1e300, '3', null]) {
      assert.equal(parseWorkerSummary(JSON.stringify({ totals: { removed } })), undefined);
    }
  });

  test('no message, however hostile, throws or yields a negative count', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ totals: v })),
        ),
        (text) => {
          const summary = parseWorkerSummary(text);
          if (summary !== undefined) {
            assert.ok(Number.isSafeInteger(summary.removed) && summary.removed >= 0);
            assert.ok(Number.isSafeInteger(summary.failed) && summary.failed >= 0);
          }
        },
      ),
    );
  });
});
