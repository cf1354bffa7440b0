import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { PodInfo } from './kube/objects.js';
import { podOutcome } from './outcome.js';

const TIMEOUTS = { startMs: 60_000, runMs: 600_000 };
const T0 = 1_000_000;

function pod(over: Partial<PodInfo>): PodInfo {
  return {
    name: 'p',
    namespace: 'eraser-system',
    uid: 'u',
    phase: 'Pending',
    createdMs: T0,
    deleting: false,
    containers: [],
    ...over,
  };
}

describe('worker pod outcome', () => {
  test('a succeeded pod reports the images its worker removed', () => {
    const summary = { removed: 4, failed: 0 };
    const outcome = podOutcome(
      pod({
        phase: 'Succeeded',
        containers: [{ name: 'remover', state: 'terminated', exitCode: 0, summary }],
      }),
      T0,
      TIMEOUTS,
    );
    assert.deepEqual(outcome, { state: 'succeeded', summary: { removed: 4, failed: 0 } });
  });

  test('a failed pod is explained by its exit code', () => {
    const cases: [number, string][] = [
      [2, 'WorkerBadInput'],
      [3, 'RuntimeUnavailable'],
      [4, 'PartialFailure'],
      [137, 'WorkerError'],
    ];
    for (const [exitCode, reason] of cases) {
      const outcome = podOutcome(
        pod({
          phase: 'Failed',
          containers: [{ name: 'remover', state: 'terminated', exitCode, message: 'boom' }],
        }),
        T0,
        TIMEOUTS,
      );
      assert.equal(outcome.state, 'failed');
      assert.equal(outcome.reason, reason);
      assert.equal(outcome.deletePod, false);
    }
  });

  test('a pending pod waits until its start deadline, then fails and is deleted', () => {
    const waiting = pod({
      containers: [{ name: 'remover', state: 'waiting', reason: 'ImagePullBackOff' }],
    });
    assert.deepEqual(podOutcome(waiting, T0 + 59_000, TIMEOUTS), {
      state: 'pending',
      deadlineMs: T0 + 60_000,
    });
    const late = podOutcome(waiting, T0 + 60_000, TIMEOUTS);
    assert.equal(late.state === 'failed' && late.reason, 'StartTimeout');
    assert.equal(late.state === 'failed' && late.deletePod, true);
    assert.match(late.state === 'failed' ? late.message : '', /ImagePullBackOff/);
  });

  test('an image name that can never be pulled fails at once', () => {
    const outcome = podOutcome(
      pod({ containers: [{ name: 'remover', state: 'waiting', reason: 'InvalidImageName' }] }),
      T0,
      TIMEOUTS,
    );
    assert.equal(outcome.state === 'failed' && outcome.reason, 'ImageUnusable');
  });

  test('a running pod fails once it outlives the run deadline', () => {
    const running = pod({ phase: 'Running', startedMs: T0 + 1000 });
    assert.equal(podOutcome(running, T0 + 600_000, TIMEOUTS).state, 'running');
    const late = podOutcome(running, T0 + 601_000, TIMEOUTS);
    assert.equal(late.state === 'failed' && late.reason, 'RunTimeout');
  });

  test('a pod being deleted before it finished counts as failed', () => {
    const outcome = podOutcome(pod({ phase: 'Running', deleting: true }), T0, TIMEOUTS);
    assert.equal(outcome.state === 'failed' && outcome.reason, 'PodDeleted');
  });
});
