import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import type { Condition } from '../api/condition.js';
import {
  checkImages,
  listStatus,
  MAX_CONDITION_MESSAGE,
  runningConditions,
} from './list-status.js';

describe('ImageList status', () => {
  const result = {
    generation: 3,
    counts: { desired: 3, succeeded: 2, failed: 0, skipped: 1 },
    succeeded: true,
    reason: 'SuccessRatioMet',
    message: 'done',
  };

  test('a finished run reports counts, generation and two readable conditions', () => {
    const status = listStatus([], result, Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(status.success, 2);
    assert.equal(status.skipped, 1);
    assert.equal(status.observedGeneration, 3);
    assert.equal(status.timestamp, '2024-01-01T00:00:00.000Z');
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Complete', 'True', 'SuccessRatioMet'],
        ['Succeeded', 'True', 'SuccessRatioMet'],
      ],
    );
  });

  test('a condition keeps its transition time while its status does not change', () => {
    const before: Condition[] = [
      {
        type: 'Succeeded',
        status: 'True',
        lastTransitionTime: '2023-01-01T00:00:00.000Z',
        reason: 'x',
        message: '',
      },
      {
        type: 'Complete',
        status: 'False',
        lastTransitionTime: '2023-01-01T00:00:00.000Z',
        reason: 'x',
        message: '',
      },
    ];
    const status = listStatus(before, result, Date.parse('2024-01-01T00:00:00Z'));
    const byType = new Map(status.conditions?.map((c) => [c.type, c.lastTransitionTime]));
    assert.equal(byType.get('Succeeded'), '2023-01-01T00:00:00.000Z');
    assert.equal(byType.get('Complete'), '2024-01-01T00:00:00.000Z');
  });

  test('image lists are checked before any pod starts', () => {
    assert.deepEqual(checkImages(['alpine:3.7', ' * ', 'sha256:' + 'a'.repeat(64)]), {
      ok: true,
      images: ['alpine:3.7', '*', 'sha256:' + 'a'.repeat(64)],
    });
    const bad = checkImages(['alpine:3.7', 'UPPER:case:bad', '']);
    assert.equal(bad.ok, false);
    assert.match(bad.message, /UPPER:case:bad/);
    assert.equal(checkImages([]).ok, false);
    assert.deepEqual(checkImages('alpine'), {
      ok: false,
      reason: 'InvalidImages',
      message: 'spec.images must be a list of strings',
    });
  });

  test('huge invalid entries are quoted shortened, so the message fits a condition', () => {
    const huge = ['A'.repeat(40_000), `B:${'b'.repeat(40_000)}`, '\u0000'.repeat(20_000)];
    const check = checkImages(['alpine:3.7', ...huge, 'UPPER']);
    if (check.ok) assert.fail('a list with invalid entries must be refused');
    assert.ok(check.message.length < 4096, String(check.message.length));
    assert.match(check.message, /"AAAA.*…".*and 1 more$/u);
  });

  test('a condition message is cut to the CRD limit, never inside a surrogate pair', () => {
    const message = `${'x'.repeat(MAX_CONDITION_MESSAGE - 2)}😀😀`;
    const status = listStatus([], { ...result, message }, 0);
    for (const c of status.conditions ?? []) {
      assert.ok(c.message.length <= MAX_CONDITION_MESSAGE, String(c.message.length));
      assert.equal(c.message.at(-1), '…');
      assert.doesNotMatch(c.message, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/u);
    }
    assert.equal(
      listStatus([], { ...result, message: 'short' }, 0).conditions?.[0]?.message,
      'short',
    );
  });

  test('an empty list is reported as nothing to remove', () => {
    const check = checkImages(['  ']);
    assert.equal(!check.ok && check.reason, 'NothingToRemove');
  });

  test('no spec.images value, however hostile, makes the check throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.string())), (images) => {
        const check = checkImages(images);
        assert.equal(typeof check.ok, 'boolean');
        if (!check.ok) assert.ok(check.message.length <= MAX_CONDITION_MESSAGE);
      }),
    );
  });
});

describe('ImageList conditions while a job runs', () => {
  const finished: Condition[] = [
    {
      type: 'Complete',
      status: 'True',
      observedGeneration: 1,
      lastTransitionTime: '2024-01-01T00:00:00.000Z',
      reason: 'SuccessRatioMet',
      message: 'old run',
    },
    {
      type: 'Succeeded',
      status: 'True',
      observedGeneration: 1,
      lastTransitionTime: '2024-01-01T00:00:00.000Z',
      reason: 'SuccessRatioMet',
      message: 'old run',
    },
  ];

  test('Complete turns False with reason Running and the job, other conditions stay', () => {
    const now = Date.parse('2024-02-01T00:00:00Z');
    const conditions = runningConditions(finished, 2, 'job-x running on 3 nodes', now);
    assert.deepEqual(conditions[0], {
      type: 'Complete',
      status: 'False',
      observedGeneration: 2,
      lastTransitionTime: '2024-02-01T00:00:00.000Z',
      reason: 'Running',
      message: 'job-x running on 3 nodes',
    });
    assert.deepEqual(conditions.slice(1), finished.slice(1));
  });

  test('a list that never ran gets only the Complete condition', () => {
    const conditions = runningConditions([], 1, 'job-y', 0);
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason]),
      [['Complete', 'False', 'Running']],
    );
  });
});
