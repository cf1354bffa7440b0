import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';

import { rejection, statusOf, withEmulator } from './fixtures.js';

function pod(name: string, nodeName: string | undefined, labels: Record<string, string>): V1Pod {
  return {
    metadata: { name, labels },
    spec: { ...(nodeName && { nodeName }), containers: [{ name: 'c', image: 'busybox:1.36' }] },
  };
}

describe('core resources through client-node', () => {
  test('configmaps can be created, read, replaced, patched and deleted', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const ns = 'default';
      const created = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'cfg' }, data: { a: '1' } },
      });
      assert.equal(created.metadata?.namespace, ns);
      assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
      assert.match(created.metadata?.creationTimestamp?.toISOString() ?? '', /^\d{4}-/);

      created.data = { a: '2' };
      const replaced = await core.replaceNamespacedConfigMap({
        name: 'cfg',
        namespace: ns,
        body: created,
      });
      assert.ok(
        Number(replaced.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion),
      );

      const merged = await core.patchNamespacedConfigMap(
        { name: 'cfg', namespace: ns, body: { data: { b: '3' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      assert.deepEqual(merged.data, { a: '2', b: '3' });

      const jsonPatched = await core.patchNamespacedConfigMap({
        name: 'cfg',
        namespace: ns,
        body: [{ op: 'remove', path: '/data/a' }],
      });
      assert.deepEqual(jsonPatched.data, { b: '3' });

      await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: ns });
      const gone = await rejection(core.readNamespacedConfigMap({ name: 'cfg', namespace: ns }));
      assert.equal(gone.code, 404);
      assert.equal(statusOf(gone)['reason'], 'NotFound');
    });
  });

  test('generateName yields a unique name with a five-character suffix', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const body = { metadata: { generateName: 'job-' } };
      const a = await core.createNamespacedConfigMap({ namespace: 'default', body });
      const b = await core.createNamespacedConfigMap({ namespace: 'default', body });
      assert.match(a.metadata?.name ?? '', /^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.notEqual(a.metadata?.name, b.metadata?.name);
    });
  });

  test('creating a taken name gives 409 AlreadyExists', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const body = { metadata: { name: 'dup' } };
      await core.createNamespacedConfigMap({ namespace: 'default', body });
      const err = await rejection(core.createNamespacedConfigMap({ namespace: 'default', body }));
      assert.equal(err.code, 409);
      assert.equal(statusOf(err)['reason'], 'AlreadyExists');
    });
  });

  test('a replace with a stale resourceVersion is refused with 409 Conflict', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const v1 = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cfg' }, data: { a: '1' } },
      });
      await core.replaceNamespacedConfigMap({
        name: 'cfg',
        namespace: 'default',
        body: { ...v1, data: { a: '2' } },
      });
      const err = await rejection(
        core.replaceNamespacedConfigMap({
          name: 'cfg',
          namespace: 'default',
          body: { ...v1, data: { a: '3' } },
        }),
      );
      assert.equal(err.code, 409);
      assert.equal(statusOf(err)['reason'], 'Conflict');
      const now = await core.readNamespacedConfigMap({ name: 'cfg', namespace: 'default' });
      assert.deepEqual(now.data, { a: '2' });
    });
  });

  test('lists filter by label selector and by pod field selectors', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const namespace = 'default';
      await core.createNamespacedPod({
        namespace,
        body: pod('a', 'node-1', { app: 'x', tier: 'web' }),
      });
      await core.createNamespacedPod({ namespace, body: pod('b', 'node-2', { app: 'x' }) });
      await core.createNamespacedPod({ namespace, body: pod('c', undefined, { app: 'y' }) });
      const names = (l: { items: V1Pod[] }): string[] => l.items.map((p) => p.metadata?.name ?? '');

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
        const list = await core.listNamespacedPod({ namespace, labelSelector, fieldSelector });
        assert.deepEqual(names(list), want, `${labelSelector} | ${fieldSelector}`);
      }
      const all = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' });
      assert.deepEqual(names(all), ['a']);
      assert.ok(Number(all.metadata?.resourceVersion) > 0);
    });
  });

  test('an unsupported field selector is a 400 Bad Request', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const err = await rejection(
        core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'data.a=1' }),
      );
      assert.equal(err.code, 400);
    });
  });

  test('limit and continue page through a list', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      for (const name of ['a', 'b', 'c']) {
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name } },
        });
      }
      const first = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 });
      assert.deepEqual(
        first.items.map((c) => c.metadata?.name),
        ['a', 'b'],
      );
      assert.equal(first.metadata?.remainingItemCount, 1);
      const rest = await core.listNamespacedConfigMap({
        namespace: 'default',
        limit: 2,
        _continue: first.metadata?._continue ?? '',
      });
      assert.deepEqual(
        rest.items.map((c) => c.metadata?.name),
        ['c'],
      );
      assert.equal(rest.metadata?._continue, undefined);
    });
  });

  test('creating in a missing namespace is 404 and a pod without containers is 422', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const missing = await rejection(
        core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }),
      );
      assert.equal(missing.code, 404);
      const bad = await rejection(
        core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name: 'p' }, spec: { containers: [] } },
        }),
      );
      assert.equal(bad.code, 422);
      assert.equal(statusOf(bad)['reason'], 'Invalid');
    });
  });

  test('server-side apply is refused with 415 rather than half-applied', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cfg' } },
      });
      const err = await rejection(
        core.patchNamespacedConfigMap(
          { name: 'cfg', namespace: 'default', body: { data: { a: '1' } }, fieldManager: 't' },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        ),
      );
      assert.equal(err.code, 415);
    });
  });

  test('the generic KubernetesObjectApi finds resources through discovery', async () => {
    await withEmulator(async (emu) => {
      const api = KubernetesObjectApi.makeApiClient(emu.kubeConfig());
      const spec = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'g', namespace: 'default' },
      };
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
      assert.equal((await api.read(lease)).metadata?.namespace, 'default');
    });
  });

  test('a pod gets Pending status and defaults, and its spec cannot move to another node', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const created = await core.createNamespacedPod({
        namespace: 'default',
        body: pod('p', 'n1', {}),
      });
      assert.equal(created.status?.phase, 'Pending');
      assert.equal(created.spec?.restartPolicy, 'Always');
      assert.equal(created.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
      const moved = {
        ...created,
        spec: { ...created.spec, nodeName: 'n2', containers: created.spec?.containers ?? [] },
      };
      const err = await rejection(
        core.replaceNamespacedPod({ name: 'p', namespace: 'default', body: moved }),
      );
      assert.equal(err.code, 422);
    });
  });
});
