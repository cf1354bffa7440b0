import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';

import { configMap, rejection, statusOf, Waitable, withEmulator } from './fixtures.js';
import type { Emulator } from './index.js';

function startInformer(emu: Emulator): {
  events: Waitable<string>;
  stop: () => Promise<void>;
} {
  const kc = emu.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const path = '/api/v1/namespaces/default/configmaps';
  const informer = makeInformer<V1ConfigMap>(kc, path, () =>
    core.listNamespacedConfigMap({ namespace: 'default' }),
  );
  const events = new Waitable<string>();
  informer.on('add', (o) => {
    events.push(`add ${o.metadata?.name ?? ''}`);
  });
  informer.on('update', (o) => {
    events.push(`update ${o.metadata?.name ?? ''}`);
  });
  informer.on('delete', (o) => {
    events.push(`delete ${o.metadata?.name ?? ''}`);
  });
  informer.on('connect', () => {
    events.push('connect');
  });
  informer.on('error', (err) => {
    events.push(`error ${String(err)}`);
  });
  void informer.start();
  return { events, stop: () => informer.stop() };
}

function count(events: Waitable<string>, item: string): number {
  return events.items.filter((e) => e === item).length;
}

describe('fault injection and client resilience', () => {
  test('a 429 fault reaches the client with Retry-After, then the call succeeds', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      emu.faults.add({
        verb: 'list',
        resource: 'configmaps',
        times: 1,
        status: 429,
        retryAfter: 3,
      });
      const err = await rejection(core.listNamespacedConfigMap({ namespace: 'default' }));
      assert.equal(err.code, 429);
      assert.equal(err.headers['retry-after'], '3');
      const status = statusOf(err);
      assert.equal(status['reason'], 'TooManyRequests');
      assert.deepEqual((status['details'] as { retryAfterSeconds?: number }).retryAfterSeconds, 3);
      assert.equal(emu.faults.pending(), 0);
      await core.listNamespacedConfigMap({ namespace: 'default' });
    });
  });

  test('faults match only their verb and resource, and fail exactly `times` requests', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      emu.faults.add({ verb: 'create', resource: 'configmaps', times: 2, status: 500 });
      await core.listNamespacedConfigMap({ namespace: 'default' });
      const body = configMap('x');
      for (let i = 0; i < 2; i += 1) {
        const err = await rejection(core.createNamespacedConfigMap({ namespace: 'default', body }));
        assert.equal(err.code, 500);
      }
      await core.createNamespacedConfigMap({ namespace: 'default', body });
      assert.deepEqual(emu.requestLog.counts()['configmaps'], { list: 1, create: 3 });
    });
  });

  test('an informer re-watches after dropped watches without relisting', async () => {
    await withEmulator(async (emu) => {
      emu.store.create('configmaps', { metadata: { name: 'before', namespace: 'default' } });
      const informer = startInformer(emu);
      await informer.events.waitFor((e) => e === 'add before');
      await emu.watchesOpen(1);
      emu.store.create('configmaps', { metadata: { name: 'live', namespace: 'default' } });
      await informer.events.waitFor((e) => e === 'add live');

      assert.equal(emu.faults.dropWatches(), 1);
      await informer.events.waitFor(() => count(informer.events, 'connect') === 2);
      emu.store.create('configmaps', { metadata: { name: 'after', namespace: 'default' } });
      await informer.events.waitFor((e) => e === 'add after');

      assert.equal(
        emu.requestLog.count('configmaps', 'list'),
        1,
        'a clean close resumes, no relist',
      );
      assert.equal(emu.requestLog.count('configmaps', 'watch'), 2);
      await informer.stop();
    });
  });

  test('an informer whose resume version was compacted away relists after 410 Gone', async () => {
    await withEmulator(async (emu) => {
      const informer = startInformer(emu);
      await emu.watchesOpen(1);
      emu.store.create('configmaps', { metadata: { name: 'a', namespace: 'default' } });
      await informer.events.waitFor((e) => e === 'add a');

      // Another resource moves the revision on, so the informer's version falls behind it.
      emu.store.create('leases.coordination.k8s.io', {
        metadata: { name: 'l', namespace: 'default' },
      });
      emu.store.compact();
      assert.equal(emu.faults.dropWatches(), 1);
      await informer.events.waitFor(() => count(informer.events, 'connect') === 3);
      emu.store.create('configmaps', { metadata: { name: 'b', namespace: 'default' } });
      await informer.events.waitFor((e) => e === 'add b');

      assert.equal(emu.requestLog.count('configmaps', 'list'), 2);
      assert.deepEqual(
        informer.events.items.filter((e) => e.startsWith('error')),
        [],
      );
      await informer.stop();
    });
  });
});
