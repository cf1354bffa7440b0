import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  FAILED_KEY,
  PLAN_KEY,
  readFailures,
  readPlan,
  writeFailures,
  type JobPlan,
} from './job-plan.js';

const PLAN: JobPlan = {
  kind: 'automated',
  targets: ['n1', 'n2'],
  skipped: 1,
  settings: {
    successRatio: 0.9,
    delayOnSuccessMs: 0,
    delayOnFailureMs: 5,
    startTimeoutMs: 7,
    runTimeoutMs: 9,
  },
  template: { metadata: { labels: { a: 'b' } } },
};

describe('job plan stored in the job ConfigMap', () => {
  test('a plan reads back as written', () => {
    assert.deepEqual(readPlan({ [PLAN_KEY]: JSON.stringify(PLAN) }), PLAN);
  });

  test('failures read back as written', () => {
    const failures = new Map([['n1', { reason: 'StartTimeout', message: 'never started' }]]);
    assert.deepEqual(readFailures({ [FAILED_KEY]: writeFailures(failures) }), failures);
  });

  test('an edited or damaged plan reads as unusable instead of throwing', () => {
    const damaged = [
      undefined,
      '',
      'not json',
      '{}',
      JSON.stringify({ ...PLAN, kind: 'other' }),
      JSON.stringify({ ...PLAN, targets: [1] }),
      JSON.stringify({ ...PLAN, settings: { successRatio: -1 } }),
    ];
    for (const text of damaged) {
      assert.equal(readPlan(text === undefined ? {} : { [PLAN_KEY]: text }), undefined, text);
    }
  });

  test('no plan or failure text, however hostile, throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        readPlan({ [PLAN_KEY]: text });
        readFailures({ [FAILED_KEY]: text });
      }),
    );
  });
});
