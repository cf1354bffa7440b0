import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CoreV1Api, Watch, type V1ConfigMap } from '@kubernetes/client-node';

import { configMap, edited, pod, Waitable, withEmulator } from './fixtures.js';
import type { Emulator, KubeObject } from './index.js';

interface Seen {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

const PATH = '/api/v1/namespaces/default/configmaps';

/** Opens a client-node watch; returns the events queue, a done promise and the stopper. */
async function watch(
  emu: Emulator,
  query: Record<string, string | number | boolean>,
  path = PATH,
): Promise<{ events: Waitable<Seen>; done: Promise<unknown>; stop: () => void }> {
  const events = new Waitable<Seen>();
  let finish: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  const controller = await new Watch(emu.kubeConfig()).watch(
    path,
    query,
    (type: string, object: Seen['object']) => {
      events.push({ type, object });
    },
    (err: unknown) => {
      finish(err ?? null);
    },
  );
  const stop = (): void => {
    controller.abort();
  };
  return { events, done, stop };
}

function relabeled(cm: V1ConfigMap, labels: Record<string, string>): V1ConfigMap {
  const copy = structuredClone(cm);
  if (copy.metadata !== undefined) copy.metadata.labels = labels;
  return copy;
}

function named(type: string, name: string): (s: Seen) => boolean {
  return (s) => s.type === type && s.object.metadata.name === name;
}

describe('watch through client-node', () => {
  test('a watch from the list resourceVersion sees ADDED, MODIFIED and DELETED', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const list = await core.listNamespacedConfigMap({ namespace: 'default' });
      const w = await watch(emu, { resourceVersion: list.metadata?.resourceVersion ?? '' });
      const cm = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: configMap('a'),
      });
      await core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: 'default',
        body: edited(cm, { data: { k: 'v' } }),
      });
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
      await w.events.waitFor(named('DELETED', 'a'));
      assert.deepEqual(
        w.events.items.map((e) => e.type),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
      const versions = w.events.items.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(
        [...versions].sort((x, y) => x - y),
        versions,
        'versions increase',
      );
      assert.equal(w.events.items[1]?.object.kind, 'ConfigMap');
      w.stop();
    });
  });

  test('a watch without resourceVersion starts with ADDED for existing objects', async () => {
    await withEmulator(async (emu) => {
      emu.store.create('configmaps', { metadata: { name: 'old', namespace: 'default' } });
      const w = await watch(emu, {});
      await w.events.waitFor(named('ADDED', 'old'));
      w.stop();
    });
  });

  test('resuming from an older resourceVersion replays the changes since then', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const start = emu.store.resourceVersion();
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: configMap('a'),
      });
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: configMap('b'),
      });
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
      const w = await watch(emu, { resourceVersion: start });
      await w.events.waitFor(named('DELETED', 'a'));
      const replayed = w.events.items.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
      assert.deepEqual(replayed, ['ADDED a', 'ADDED b', 'DELETED a']);
      w.stop();
    });
  });

  test('resuming from a compacted version gets an ERROR event with 410 Expired', async () => {
    await withEmulator(
      async (emu) => {
        const core = emu.kubeConfig().makeApiClient(CoreV1Api);
        const start = emu.store.resourceVersion();
        for (const name of ['a', 'b', 'c']) {
          await core.createNamespacedConfigMap({
            namespace: 'default',
            body: configMap(name),
          });
        }
        const w = await watch(emu, { resourceVersion: start });
        const error = await w.events.waitFor((e) => e.type === 'ERROR');
        assert.equal(error.object.code, 410);
        assert.equal(error.object.reason, 'Expired');
        assert.equal(await w.done, null, 'the stream then ends');
      },
      { historySize: 2 },
    );
  });

  test('a label selector turns label changes into ADDED and DELETED for the watcher', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const w = await watch(emu, {
        resourceVersion: emu.store.resourceVersion(),
        labelSelector: 'pick=yes',
      });
      const cm = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: configMap('a'),
      });
      const picked = await core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: 'default',
        body: relabeled(cm, { pick: 'yes' }),
      });
      await core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: 'default',
        body: relabeled(picked, {}),
      });
      await w.events.waitFor(named('DELETED', 'a'));
      assert.deepEqual(
        w.events.items.map((e) => e.type),
        ['ADDED', 'DELETED'],
      );
      w.stop();
    });
  });

  test('a field selector on spec.nodeName limits a pod watch to one node', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const w = await watch(emu, { fieldSelector: 'spec.nodeName=n2' }, '/api/v1/pods');
      for (const [name, nodeName] of [
        ['p1', 'n1'],
        ['p2', 'n2'],
      ] as const) {
        await core.createNamespacedPod({
          namespace: 'default',
          body: pod(name, nodeName),
        });
      }
      emu.store.update('pods', 'default', 'p2', (p) => (p['status'] = { phase: 'Running' }));
      await w.events.waitFor(named('MODIFIED', 'p2'));
      assert.deepEqual(
        w.events.items.map((e) => e.object.metadata.name),
        ['p2', 'p2'],
      );
      w.stop();
    });
  });

  test('allowWatchBookmarks brings BOOKMARKs carrying the current resourceVersion', async () => {
    await withEmulator(
      async (emu) => {
        const w = await watch(emu, {
          resourceVersion: emu.store.resourceVersion(),
          allowWatchBookmarks: true,
        });
        const bookmark = await w.events.waitFor((e) => e.type === 'BOOKMARK');
        assert.equal(bookmark.object.metadata.resourceVersion, emu.store.resourceVersion());
        w.stop();
      },
      { bookmarkIntervalMs: 10 },
    );
  });

  test('timeoutSeconds ends the stream cleanly', async () => {
    await withEmulator(async (emu) => {
      const w = await watch(emu, {
        resourceVersion: emu.store.resourceVersion(),
        timeoutSeconds: 1,
      });
      assert.equal(await w.done, null);
      assert.equal(emu.openWatches(), 0);
    });
  });

  test('dropWatches ends open streams and the client sees a clean close', async () => {
    await withEmulator(async (emu) => {
      const w = await watch(emu, { resourceVersion: emu.store.resourceVersion() });
      assert.equal(emu.faults.dropWatches(), 1);
      assert.equal(await w.done, null);
    });
  });
});
