import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  V1ConfigMap,
  V1Pod,
} from '@kubernetes/client-node';

import { configMap, edited, model, pod, rejection, statusOf, withEmulator } from './fixtures.js';

const NS = 'default';

function names(list: { items: { metadata?: { name?: string } }[] }): string[] {
  return list.items.map((o) => o.metadata?.name ?? '');
}

describe('core resources through client-node', () => {
  test('configmaps can be created, read, replaced, patched and deleted', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const created = await core.createNamespacedConfigMap({
        namespace: NS,
        body: configMap('cfg', { a: '1' }),
      });
      assert.equal(created.metadata?.namespace, NS);
      assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(created.metadata.creationTimestamp instanceof Date);

      const replaced = await core.replaceNamespacedConfigMap({
        name: 'cfg',
        namespace: NS,
        body: edited(created, { data: { a: '2' } }),
      });
      const before = Number(created.metadata.resourceVersion);
      assert.ok(Number(replaced.metadata?.resourceVersion) > before);

      const merged = await core.patchNamespacedConfigMap(
        { name: 'cfg', namespace: NS, body: { data: { b: '3' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      assert.deepEqual(merged.data, { a: '2', b: '3' });

      const jsonPatched = await core.patchNamespacedConfigMap({
        name: 'cfg',
        namespace: NS,
        body: [{ op: 'remove', path: '/data/a' }],
      });
      assert.deepEqual(jsonPatched.data, { b: '3' });

      await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: NS });
      const gone = await rejection(core.readNamespacedConfigMap({ name: 'cfg', namespace: NS }));
      assert.equal(gone.code, 404);
      assert.equal(statusOf(gone)['reason'], 'NotFound');
    });
  });

  test('generateName yields a unique name with a five-character suffix', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const body = model(V1ConfigMap, { metadata: { generateName: 'job-' } });
      const a = await core.createNamespacedConfigMap({ namespace: NS, body });
      const b = await core.createNamespacedConfigMap({ namespace: NS, body });
      assert.match(a.metadata?.name ?? '', /^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.notEqual(a.metadata?.name, b.metadata?.name);
    });
  });

  test('creating a taken name gives 409 AlreadyExists', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: NS, body: configMap('dup') });
      const err = await rejection(
        core.createNamespacedConfigMap({ namespace: NS, body: configMap('dup') }),
      );
      assert.equal(err.code, 409);
      assert.equal(statusOf(err)['reason'], 'AlreadyExists');
    });
  });

  test('a replace with a stale resourceVersion is refused with 409 Conflict', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const v1 = await core.createNamespacedConfigMap({
        namespace: NS,
        body: configMap('cfg', { a: '1' }),
      });
      const first = edited(v1, { data: { a: '2' } });
      await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: first });
      const stale = edited(v1, { data: { a: '3' } });
      const err = await rejection(
        core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: stale }),
      );
      assert.equal(err.code, 409);
      assert.equal(statusOf(err)['reason'], 'Conflict');
      const now = await core.readNamespacedConfigMap({ name: 'cfg', namespace: NS });
      assert.deepEqual(now.data, { a: '2' });
    });
  });

  test('lists filter by label selector and by pod field selectors', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const pods = [
        pod('a', 'node-1', { app: 'x', tier: 'web' }),
        pod('b', 'node-2', { app: 'x' }),
        pod('c', undefined, { app: 'y' }),
      ];
      for (const body of pods) await core.createNamespacedPod({ namespace: NS, body });

      const cases: [string, string, string[]][] = [
        ['app=x', '', ['a', 'b']],
        ['app in (x,y),!tier', '', ['b', 'c']],
        ['app!=x', '', ['c']],
        ['', 'spec.nodeName=node-2', ['b']],
        ['', 'spec.nodeName=', ['c']],
        ['app=x', 'metadata.name!=a', ['b']],
        ['', 'status.phase=Pending', ['a', 'b', 'c']],
      ];
      for (const [labelSelector, fieldSelector, want] of cases) {
        const list = await core.listNamespacedPod({ namespace: NS, labelSelector, fieldSelector });
        assert.deepEqual(names(list), want, `${labelSelector} | ${fieldSelector}`);
      }
      const all = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' });
      assert.deepEqual(names(all), ['a']);
      assert.ok(Number(all.metadata?.resourceVersion) > 0);
    });
  });

  test('deletecollection removes only the objects its selector picks', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      for (const [name, app] of [
        ['a', 'x'],
        ['b', 'y'],
      ] as const) {
        await core.createNamespacedConfigMap({
          namespace: NS,
          body: configMap(name, {}, { labels: { app } }),
        });
      }
      await core.deleteCollectionNamespacedConfigMap({ namespace: NS, labelSelector: 'app=x' });
      assert.deepEqual(names(await core.listNamespacedConfigMap({ namespace: NS })), ['b']);
    });
  });

  test('an unsupported field selector is a 400 Bad Request', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const err = await rejection(
        core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'data.a=1' }),
      );
      assert.equal(err.code, 400);
    });
  });

  test('limit and continue page through a list', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      for (const name of ['a', 'b', 'c']) {
        await core.createNamespacedConfigMap({ namespace: NS, body: configMap(name) });
      }
      const first = await core.listNamespacedConfigMap({ namespace: NS, limit: 2 });
      assert.deepEqual(names(first), ['a', 'b']);
      assert.equal(first.metadata?.remainingItemCount, 1);
      const rest = await core.listNamespacedConfigMap({
        namespace: NS,
        limit: 2,
        _continue: first.metadata._continue ?? '',
      });
      assert.deepEqual(names(rest), ['c']);
      assert.equal(rest.metadata?._continue, undefined);
    });
  });

  test('creating in a missing namespace is 404 and a pod without containers is 422', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const missing = await rejection(
        core.createNamespacedConfigMap({ namespace: 'nowhere', body: configMap('x') }),
      );
      assert.equal(missing.code, 404);
      const empty = model(V1Pod, { metadata: { name: 'p' }, spec: { containers: [] } });
      const bad = await rejection(core.createNamespacedPod({ namespace: NS, body: empty }));
      assert.equal(bad.code, 422);
      assert.equal(statusOf(bad)['reason'], 'Invalid');
    });
  });

  test('server-side apply is refused with 415 rather than half-applied', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: NS, body: configMap('cfg') });
      const err = await rejection(
        core.patchNamespacedConfigMap(
          { name: 'cfg', namespace: NS, body: { data: { a: '1' } }, fieldManager: 't' },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        ),
      );
      assert.equal(err.code, 415);
    });
  });

  test('the generic KubernetesObjectApi finds resources through discovery', async () => {
    await withEmulator(async (emu) => {
      const api = KubernetesObjectApi.makeApiClient(emu.kubeConfig());
      const spec = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace: NS } };
      await api.create(spec);
      const read = await api.read(spec);
      assert.equal(read.metadata?.name, 'g');
      const nodes = await api.list('v1', 'Node');
      assert.deepEqual(nodes.items, []);
      const lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'l' },
      };
      await api.create(lease);
      assert.equal((await api.read(lease)).metadata?.namespace, NS);
    });
  });

  test('a pod gets Pending status and defaults, and cannot move to another node', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const created = await core.createNamespacedPod({ namespace: NS, body: pod('p', 'n1', {}) });
      assert.equal(created.status?.phase, 'Pending');
      assert.equal(created.spec?.restartPolicy, 'Always');
      assert.equal(created.spec.containers[0]?.imagePullPolicy, 'IfNotPresent');
      const moved = structuredClone(created);
      if (moved.spec !== undefined) moved.spec.nodeName = 'n2';
      const err = await rejection(
        core.replaceNamespacedPod({ name: 'p', namespace: NS, body: moved }),
      );
      assert.equal(err.code, 422);
    });
  });
});
