import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  checkPlanSize,
  FAILED_KEY,
  IMAGES_KEY,
  MAX_PLAN_DATA_BYTES,
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

describe('job plan size', () => {
  const plan = JSON.stringify(PLAN);

  test('a plan that fits the ConfigMap passes', () => {
    assert.equal(checkPlanSize({ [PLAN_KEY]: plan, [IMAGES_KEY]: '["alpine:3.7"]' }), undefined);
  });

  test('an image list too big for the ConfigMap names its size and the room left', () => {
    const images = 'x'.repeat(MAX_PLAN_DATA_BYTES);
    const refused = checkPlanSize({ [PLAN_KEY]: plan, [IMAGES_KEY]: images, 'exclude-0': 'ab' });
    const room = MAX_PLAN_DATA_BYTES - Buffer.byteLength(plan) - 2;
    assert.deepEqual(refused, {
      reason: 'ImageListTooLarge',
      message: `image list is ${MAX_PLAN_DATA_BYTES} bytes; at most ${room} fit`,
    });
  });

  test('sizes count bytes, not characters', () => {
    const images = 'é'.repeat(MAX_PLAN_DATA_BYTES / 2);
    assert.equal(checkPlanSize({ [IMAGES_KEY]: images }), undefined);
    assert.equal(checkPlanSize({ [IMAGES_KEY]: `${images}é` })?.reason, 'ImageListTooLarge');
  });

  test('an automated plan too big to store is refused as a plan', () => {
    const refused = checkPlanSize({ [PLAN_KEY]: 'x'.repeat(MAX_PLAN_DATA_BYTES + 1) });
    assert.equal(refused?.reason, 'PlanTooLarge');
  });
});
