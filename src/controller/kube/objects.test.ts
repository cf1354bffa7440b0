import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { toConfigMap, toImageList, toJob, toNode, toPod } from './objects.js';

const REPORT = JSON.stringify({
  decisions: Array.from({ length: 40 }, (_, i) => ({ outcome: 'removed', tags: [`img-${i}`] })),
  totals: { images: 50, removed: 40, failed: 0 },
});

describe('slim objects from API JSON', () => {
  test('a finished worker pod keeps its report totals, not the whole report', () => {
    const pod =
      toPod(
        {
          metadata: {
            name: 'job-n1',
            namespace: 'eraser-system',
            uid: 'u1',
            creationTimestamp: '2024-01-01T00:00:00Z',
            labels: { 'eraser.sh/job': 'job' },
          },
          spec: { nodeName: 'n1' },
          status: {
            phase: 'Succeeded',
            startTime: '2024-01-01T00:00:01Z',
            containerStatuses: [
              { name: 'remover', state: { terminated: { exitCode: 0, message: REPORT } } },
            ],
          },
        },
        'eraser.sh/job',
      ) ?? assert.fail('no pod');
    assert.equal(pod.jobName, 'job');
    assert.equal(pod.nodeName, 'n1');
    assert.equal(pod.phase, 'Succeeded');
    assert.equal(pod.startedMs, Date.parse('2024-01-01T00:00:01Z'));
    const container = pod.containers[0] ?? assert.fail('no container');
    assert.deepEqual(container.summary, { removed: 40, failed: 0, images: 50 });
    assert.ok((container.message?.length ?? 0) <= 512);
  });

  test('job status counts and phase are read; bad values fall back to safe ones', () => {
    const job = toJob({
      metadata: {
        name: 'j',
        uid: 'u',
        ownerReferences: [{ kind: 'ImageList', name: 'l', uid: 'lu', controller: true }],
      },
      status: { phase: 'Bogus', desired: -3, succeeded: 2.7, failed: 'x', deleteAfter: 'soon' },
    });
    assert.deepEqual(job?.status, { desired: 0, succeeded: 2, failed: 0, skipped: 0 });
    assert.deepEqual(job.owner, { kind: 'ImageList', name: 'l', uid: 'lu' });
  });

  test('an object without a name is ignored rather than cached under an empty key', () => {
    for (const transform of [toNode, toJob, toImageList, toConfigMap]) {
      assert.equal(transform({ metadata: {} }), undefined);
    }
    assert.equal(toPod({ metadata: { namespace: 'x' } }, 'l'), undefined);
  });

  test('no JSON, however hostile, makes a transform throw', () => {
    const objectish = fc.record({
      metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.string(), labels: fc.jsonValue() })),
      spec: fc.jsonValue(),
      status: fc.jsonValue(),
      data: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), objectish), (raw) => {
        toNode(raw);
        toPod(raw, 'eraser.sh/job');
        toJob(raw);
        toImageList(raw);
        toConfigMap(raw);
      }),
    );
  });
});
