import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiError } from './errors.js';
import { ResourceRegistry } from './resources.js';
import { ObjectStore, UnknownResourceError } from './store.js';
import type { StoreEvent } from './types.js';

function newStore(historySize = 100): ObjectStore {
  return new ObjectStore(new ResourceRegistry(), {
    historySize,
    now: () => new Date('2024-05-01T12:00:00.123Z'),
    onListenerError: (err) => {
      throw err;
    },
  });
}

const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' } };

describe('the object store used by simulators', () => {
  test('put bumps the global resourceVersion and notifies listeners in order', () => {
    const store = newStore();
    const seen: StoreEvent[] = [];
    store.onChange((e) => seen.push(e));
    const created = store.create('pods', pod);
    assert.equal(created.metadata.creationTimestamp, '2024-05-01T12:00:00Z');
    const updated = store.put('pods', { ...created, status: { phase: 'Running' } });
    assert.equal(
      Number(updated.metadata.resourceVersion),
      Number(created.metadata.resourceVersion) + 1,
    );
    assert.deepEqual(
      seen.map((e) => e.type),
      ['ADDED', 'MODIFIED'],
    );
    assert.deepEqual(seen[1]?.previous?.['status'], undefined);
    assert.equal(store.resourceVersion(), updated.metadata.resourceVersion);
  });

  test('a put with a stale resourceVersion is a Conflict; without one it is unconditional', () => {
    const store = newStore();
    const created = store.create('pods', pod);
    store.put('pods', { ...created, status: { phase: 'Running' } });
    assert.throws(
      () => store.put('pods', { ...created, status: { phase: 'Failed' } }),
      (e: unknown) => e instanceof ApiError && e.httpCode === 409,
    );
    const unconditional = structuredClone(created);
    delete unconditional.metadata.resourceVersion;
    const forced = store.put('pods', { ...unconditional, status: { phase: 'Failed' } });
    assert.deepEqual(forced['status'], { phase: 'Failed' });
  });

  test('a write that changes nothing commits nothing', () => {
    const store = newStore();
    const created = store.create('pods', pod);
    const again = store.put('pods', created);
    assert.equal(again.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  test('update applies a mutation atomically and keeps system fields', () => {
    const store = newStore();
    const created = store.create('pods', pod);
    const updated = store.update('pods', 'ns', 'p', (p) => {
      p.metadata.uid = 'forged';
      p['status'] = { phase: 'Succeeded' };
    });
    assert.equal(updated.metadata.uid, created.metadata.uid);
    assert.deepEqual(store.get('pods', 'ns', 'p')?.['status'], { phase: 'Succeeded' });
  });

  test('reads return copies that cannot change stored state', () => {
    const store = newStore();
    store.create('pods', pod);
    const copy = store.get('pods', 'ns', 'p');
    if (copy !== undefined) copy.metadata.name = 'changed';
    assert.equal(store.list('pods')[0]?.metadata.name, 'p');
  });

  test('history beyond its size, or after compact, makes old resumes expire', () => {
    const store = newStore(2);
    const start = Number(store.resourceVersion());
    for (const name of ['a', 'b', 'c'])
      store.create('configmaps', { metadata: { name, namespace: 'ns' } });
    assert.equal(store.changesSince('configmaps', start), 'expired');
    const recent = store.changesSince('configmaps', start + 1);
    assert.notEqual(recent, 'expired');
    store.compact();
    assert.equal(store.changesSince('configmaps', start + 2), 'expired');
  });

  test('unknown resource keys are refused with a message naming the key', () => {
    const store = newStore();
    assert.throws(() => store.get('pod', 'ns', 'p'), UnknownResourceError);
  });
});
