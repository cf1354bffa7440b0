import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { silentLogger } from '../logger.js';
import { WorkQueue, type ReconcileResult } from './workqueue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('work queue', () => {
  test('a key added many times before it runs is reconciled once', async () => {
    const seen: string[] = [];
    const done = deferred();
    const queue = new WorkQueue(
      (key) => {
        seen.push(key);
        if (key === 'b') done.resolve();
        return Promise.resolve({ outcome: 'ok' });
      },
      { name: 't', log: silentLogger() },
    );
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.start();
    await done.promise;
    await queue.stop();
    assert.deepEqual(seen, ['a', 'b']);
  });

  test('a key changed while it runs is reconciled again after, never twice at once', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const done = deferred();
    const queue = new WorkQueue(
      async (): Promise<ReconcileResult> => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await gate.promise;
        running -= 1;
        if (calls === 2) done.resolve();
        return { outcome: 'ok' };
      },
      { name: 't', log: silentLogger(), concurrency: 4 },
    );
    queue.start();
    queue.add('a');
    queue.add('a');
    gate.resolve();
    await done.promise;
    await queue.stop();
    assert.equal(calls, 2);
    assert.equal(maxRunning, 1);
  });

  test('a failing key is retried with backoff until it succeeds', async () => {
    let calls = 0;
    const done = deferred();
    const outcomes: string[] = [];
    const queue = new WorkQueue(
      () => {
        calls += 1;
        if (calls < 3) return Promise.reject(new Error('flaky'));
        done.resolve();
        return Promise.resolve({ outcome: 'ok' });
      },
      {
        name: 't',
        log: silentLogger(),
        baseRetryMs: 1,
        observe: (outcome) => outcomes.push(outcome),
      },
    );
    queue.start();
    queue.add('a');
    await done.promise;
    await queue.stop();
    assert.deepEqual(outcomes, ['error', 'error', 'ok']);
  });

  test('a requested requeue brings the key back later', async () => {
    let calls = 0;
    const done = deferred();
    const queue = new WorkQueue(
      () => {
        calls += 1;
        if (calls === 2) done.resolve();
        return Promise.resolve(
          calls === 1 ? { outcome: 'wait', requeueAfterMs: 5 } : { outcome: 'ok' },
        );
      },
      { name: 't', log: silentLogger() },
    );
    queue.start();
    queue.add('a');
    await done.promise;
    await queue.stop();
    assert.equal(calls, 2);
  });
});
