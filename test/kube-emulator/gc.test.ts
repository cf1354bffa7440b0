import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';

import { configMap, imageListCrd, pod, withEmulator } from './fixtures.js';
import type { Emulator, KubeObject, OwnerReference } from './index.js';

const CR = { group: 'eraser.sh', version: 'v1', plural: 'imagelists' };

/** Creates an ImageList owning one pod and one configmap; returns the owner reference. */
async function ownerWithDependents(emu: Emulator, block = false): Promise<OwnerReference> {
  const kc = emu.kubeConfig();
  await kc
    .makeApiClient(ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: imageListCrd() });
  const owner = (await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    ...CR,
    body: { apiVersion: 'eraser.sh/v1', kind: 'ImageList', metadata: { name: 'owner' }, spec: {} },
  })) as KubeObject;
  const ref: OwnerReference = {
    apiVersion: 'eraser.sh/v1',
    kind: 'ImageList',
    name: 'owner',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: block,
  };
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({ namespace: 'default', body: pod('dep', undefined, {}, [ref]) });
  const body = configMap('dep', {}, { ownerReferences: [ref] });
  await core.createNamespacedConfigMap({ namespace: 'default', body });
  return ref;
}

function remaining(emu: Emulator): string[] {
  const pods = emu.store.list('pods').map((p) => `pod/${p.metadata.name ?? ''}`);
  const cms = emu.store.list('configmaps').map((c) => `cm/${c.metadata.name ?? ''}`);
  return [...pods, ...cms];
}

describe('garbage collection by ownerReferences', () => {
  test('a custom resource deleted in the background takes its pods and configmaps', async () => {
    await withEmulator(async (emu) => {
      await ownerWithDependents(emu);
      const api = emu.kubeConfig().makeApiClient(CustomObjectsApi);
      await api.deleteClusterCustomObject({ ...CR, name: 'owner' });
      await emu.settled();
      assert.deepEqual(remaining(emu), []);
    });
  });

  test('foreground deletion keeps the owner until blocking dependents are gone', async () => {
    await withEmulator(async (emu) => {
      await ownerWithDependents(emu, true);
      const api = emu.kubeConfig().makeApiClient(CustomObjectsApi);
      const marked = (await api.deleteClusterCustomObject({
        ...CR,
        name: 'owner',
        propagationPolicy: 'Foreground',
      })) as KubeObject;
      assert.ok(marked.metadata.deletionTimestamp !== undefined);
      assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
      await emu.settled();
      assert.deepEqual(remaining(emu), []);
      assert.equal(emu.store.get('imagelists.eraser.sh', undefined, 'owner'), undefined);
    });
  });

  test('orphan deletion leaves dependents without the owner reference', async () => {
    await withEmulator(async (emu) => {
      await ownerWithDependents(emu);
      const api = emu.kubeConfig().makeApiClient(CustomObjectsApi);
      await api.deleteClusterCustomObject({ ...CR, name: 'owner', propagationPolicy: 'Orphan' });
      await emu.settled();
      assert.deepEqual(remaining(emu), ['pod/dep', 'cm/dep']);
      assert.deepEqual(emu.store.get('pods', 'default', 'dep')?.metadata.ownerReferences, []);
      assert.equal(emu.store.get('imagelists.eraser.sh', undefined, 'owner'), undefined);
    });
  });

  test('a dependent with another live owner loses only the deleted owner reference', async () => {
    await withEmulator(async (emu) => {
      const ref = await ownerWithDependents(emu);
      const other = emu.store.create('configmaps', {
        metadata: { name: 'other', namespace: 'default' },
      });
      const otherRef = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'other',
        uid: other.metadata.uid ?? '',
      };
      emu.store.update('pods', 'default', 'dep', (p) => {
        p.metadata.ownerReferences = [ref, otherRef];
      });
      await emu
        .kubeConfig()
        .makeApiClient(CustomObjectsApi)
        .deleteClusterCustomObject({ ...CR, name: 'owner' });
      await emu.settled();
      assert.deepEqual(emu.store.get('pods', 'default', 'dep')?.metadata.ownerReferences, [
        otherRef,
      ]);
    });
  });

  test('an object whose only owner does not exist is collected', async () => {
    await withEmulator(async (emu) => {
      const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' };
      emu.store.create('configmaps', {
        metadata: { name: 'orphan', namespace: 'default', ownerReferences: [ghost] },
      });
      await emu.settled();
      assert.deepEqual(remaining(emu), []);
    });
  });

  test('finalizers hold a deleted object, with deletionTimestamp, until removed', async () => {
    await withEmulator(async (emu) => {
      const core = emu.kubeConfig().makeApiClient(CoreV1Api);
      const body = configMap('held', {}, { finalizers: ['example.com/hold'] });
      await core.createNamespacedConfigMap({ namespace: 'default', body });
      await core.deleteNamespacedConfigMap({ name: 'held', namespace: 'default' });
      const held = await core.readNamespacedConfigMap({ name: 'held', namespace: 'default' });
      assert.ok(held.metadata?.deletionTimestamp instanceof Date);
      held.metadata.finalizers = [];
      await core.replaceNamespacedConfigMap({ name: 'held', namespace: 'default', body: held });
      assert.equal(emu.store.get('configmaps', 'default', 'held'), undefined);
    });
  });

  test('deleting a namespace deletes its contents, then the namespace', async () => {
    await withEmulator(
      async (emu) => {
        const core = emu.kubeConfig().makeApiClient(CoreV1Api);
        await core.createNamespacedConfigMap({
          namespace: 'eraser-system',
          body: configMap('c'),
        });
        const terminating = await core.deleteNamespace({ name: 'eraser-system' });
        assert.equal((terminating as KubeObject)['status'] !== undefined, true);
        await emu.settled();
        assert.equal(emu.store.get('namespaces', undefined, 'eraser-system'), undefined);
        assert.deepEqual(remaining(emu), []);
      },
      { namespaces: ['eraser-system'] },
    );
  });
});
