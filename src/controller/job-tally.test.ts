import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { JobPlan, NodeFailure } from './job-plan.js';
import { tallyJob } from './job-tally.js';
import type { PodInfo } from './kube/objects.js';

const NOW = 10_000_000;

const PLAN: JobPlan = {
  kind: 'manual',
  targets: ['a', 'b', 'c', 'd'],
  skipped: 1,
  settings: {
    successRatio: 1,
    delayOnSuccessMs: 0,
    delayOnFailureMs: 0,
    startTimeoutMs: 60_000,
    runTimeoutMs: 600_000,
  },
  template: {},
};

function pod(node: string, over: Partial<PodInfo> = {}): PodInfo {
  return {
    name: `job-${node}`,
    namespace: 'ns',
    uid: `uid-${node}`,
    jobName: 'job',
    nodeName: node,
    phase: 'Running',
    createdMs: NOW - 1000,
    startedMs: NOW - 1000,
    deleting: false,
    containers: [],
    ...over,
  };
}

function memory(created: Record<string, number> = {}, seen: string[] = []) {
  return { created: new Map(Object.entries(created)), seen: new Set(seen) };
}

describe('job tally', () => {
  test('nodes without pods are to be created, running pods are active', () => {
    const pods = new Map([['a', pod('a')]]);
    const t = tallyJob(PLAN, pods, new Map(), memory(), () => true, NOW);
    assert.equal(t.active, 1);
    assert.deepEqual(t.toCreate, ['b', 'c', 'd']);
  });

  test('a pod created but not yet in the cache is waited for, not created twice', () => {
    const t = tallyJob(PLAN, new Map(), new Map(), memory({ a: NOW - 100 }), () => true, NOW);
    assert.deepEqual(t.toCreate, ['b', 'c', 'd']);
    assert.equal(t.active, 1);
  });

  test('recorded failures stand even when their pods are gone', () => {
    const recorded = new Map<string, NodeFailure>([
      ['b', { reason: 'StartTimeout', message: 'x' }],
    ]);
    const t = tallyJob(PLAN, new Map(), recorded, memory(), () => true, NOW);
    assert.equal(t.failed, 1);
    assert.equal(t.newFailures.size, 0);
    assert.deepEqual(t.toCreate, ['a', 'c', 'd']);
  });

  test('a node that left the cluster fails, and its unfinished pod is deleted', () => {
    const pods = new Map([
      ['a', pod('a')],
      ['b', pod('b', { phase: 'Succeeded' })],
    ]);
    const gone = new Set(['a', 'b', 'c']);
    const t = tallyJob(PLAN, pods, new Map(), memory(), (n) => !gone.has(n), NOW);
    assert.equal(t.succeeded, 1, 'a finished pod keeps its result');
    assert.equal(t.failed, 2);
    assert.deepEqual([...t.newFailures.keys()], ['a', 'c']);
    assert.deepEqual(
      t.toDelete.map((p) => p.name),
      ['job-a'],
    );
    assert.deepEqual(t.toCreate, ['d']);
  });

  test('a pod that was seen and then vanished counts as failed instead of being recreated', () => {
    const t = tallyJob(PLAN, new Map(), new Map(), memory({}, ['c']), () => true, NOW);
    assert.equal(t.newFailures.get('c')?.reason, 'PodDeleted');
    assert.deepEqual(t.toCreate, ['a', 'b', 'd']);
  });

  test('a timed-out pod becomes a new failure to record, and the earliest deadline is kept', () => {
    const pods = new Map([
      ['a', pod('a', { phase: 'Pending', createdMs: NOW - 61_000 })],
      ['b', pod('b', { phase: 'Pending', createdMs: NOW - 10_000 })],
      ['c', pod('c', { phase: 'Running', startedMs: NOW - 20_000 })],
    ]);
    const t = tallyJob(PLAN, pods, new Map(), memory(), () => true, NOW);
    assert.equal(t.newFailures.get('a')?.reason, 'StartTimeout');
    assert.equal(t.nextDeadlineMs, NOW + 50_000);
    assert.equal(t.active, 2);
  });
});
