import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

import { imageListCrd, rejection, statusOf, withEmulator } from './fixtures.js';
import type { Emulator, KubeObject } from './index.js';

const GROUP = 'eraser.sh';
const PLURAL = 'imagelists';

async function setUp(emu: Emulator, status = true): Promise<CustomObjectsApi> {
  const kc = emu.kubeConfig();
  await kc
    .makeApiClient(ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: imageListCrd(status) });
  return kc.makeApiClient(CustomObjectsApi);
}

function imageList(name: string, images: string[]): KubeObject {
  return { apiVersion: 'eraser.sh/v1', kind: 'ImageList', metadata: { name }, spec: { images } };
}

describe('custom resources defined by a CRD', () => {
  test('a created CRD is established and its resource appears in discovery', async () => {
    await withEmulator(async (emu) => {
      const kc = emu.kubeConfig();
      const crd = await kc
        .makeApiClient(ApiextensionsV1Api)
        .createCustomResourceDefinition({ body: imageListCrd() });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      assert.equal(established?.status, 'True');
      const res = await fetch(`${emu.url}/apis/eraser.sh/v1alpha1`);
      const doc = (await res.json()) as { resources: { name: string; namespaced: boolean }[] };
      assert.deepEqual(
        doc.resources.map((r) => [r.name, r.namespaced]),
        [
          ['imagelists', false],
          ['imagelists/status', false],
        ],
      );
    });
  });

  test('a cluster-scoped custom resource supports every verb', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu);
      const base = { group: GROUP, version: 'v1', plural: PLURAL };
      const created = (await api.createClusterCustomObject({
        ...base,
        body: imageList('imagelist', ['alpine:3.7']),
      })) as KubeObject;
      assert.equal(created.metadata.generation, 1);

      const list = (await api.listClusterCustomObject(base)) as {
        items: KubeObject[];
        kind: string;
      };
      assert.equal(list.kind, 'ImageListList');
      assert.equal(list.items[0]?.kind, 'ImageList');

      const replaced = (await api.replaceClusterCustomObject({
        ...base,
        name: 'imagelist',
        body: { ...created, spec: { images: ['*'] } },
      })) as KubeObject;
      assert.equal(replaced.metadata.generation, 2);

      const patched = (await api.patchClusterCustomObject(
        { ...base, name: 'imagelist', body: { metadata: { labels: { a: 'b' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as KubeObject;
      assert.equal(patched.metadata.generation, 2, 'metadata changes do not bump generation');

      await api.deleteClusterCustomObject({ ...base, name: 'imagelist' });
      const gone = await rejection(api.getClusterCustomObject({ ...base, name: 'imagelist' }));
      assert.equal(gone.code, 404);
    });
  });

  test('every served version reads the same object with its own apiVersion', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu);
      await api.createClusterCustomObject({
        group: GROUP,
        version: 'v1',
        plural: PLURAL,
        body: imageList('x', []),
      });
      const old = (await api.getClusterCustomObject({
        group: GROUP,
        version: 'v1alpha1',
        plural: PLURAL,
        name: 'x',
      })) as KubeObject;
      assert.equal(old.apiVersion, 'eraser.sh/v1alpha1');
      const unserved = await rejection(
        api.getClusterCustomObject({ group: GROUP, version: 'v2', plural: PLURAL, name: 'x' }),
      );
      assert.equal(unserved.code, 404);
    });
  });

  test('the status subresource changes only status, and main writes keep status', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu);
      const base = { group: GROUP, version: 'v1', plural: PLURAL, name: 'x' };
      const created = (await api.createClusterCustomObject({
        ...base,
        body: { ...imageList('x', ['a']), status: { success: 9 } },
      })) as KubeObject;
      assert.equal(created['status'], undefined, 'status is dropped on create');

      const statusWrite = (await api.replaceClusterCustomObjectStatus({
        ...base,
        body: { ...created, spec: { images: ['changed'] }, status: { success: 1 } },
      })) as KubeObject;
      assert.deepEqual(statusWrite['status'], { success: 1 });
      assert.deepEqual(statusWrite['spec'], { images: ['a'] });
      assert.equal(statusWrite.metadata.generation, 1);

      const mainWrite = (await api.replaceClusterCustomObject({
        ...base,
        body: { ...statusWrite, spec: { images: ['b'] }, status: { success: 5 } },
      })) as KubeObject;
      assert.deepEqual(mainWrite['status'], { success: 1 });
      assert.deepEqual(mainWrite['spec'], { images: ['b'] });
    });
  });

  test('without a status subresource, status is an ordinary field and /status is 404', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu, false);
      const base = { group: GROUP, version: 'v1', plural: PLURAL, name: 'x' };
      const created = (await api.createClusterCustomObject({
        ...base,
        body: { ...imageList('x', []), status: { success: 2 } },
      })) as KubeObject;
      assert.deepEqual(created['status'], { success: 2 });
      const err = await rejection(api.getClusterCustomObjectStatus(base));
      assert.equal(err.code, 404);
    });
  });

  test('a replace of a custom resource without resourceVersion is 422 Invalid', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu);
      const base = { group: GROUP, version: 'v1', plural: PLURAL };
      await api.createClusterCustomObject({ ...base, body: imageList('x', []) });
      const err = await rejection(
        api.replaceClusterCustomObject({ ...base, name: 'x', body: imageList('x', ['y']) }),
      );
      assert.equal(err.code, 422);
      assert.equal(statusOf(err)['reason'], 'Invalid');
    });
  });

  test('a CRD whose name does not match plural.group is refused', async () => {
    await withEmulator(async (emu) => {
      const crd = imageListCrd(true, 'wrong.eraser.sh');
      const api = emu.kubeConfig().makeApiClient(ApiextensionsV1Api);
      const err = await rejection(api.createCustomResourceDefinition({ body: crd }));
      assert.equal(err.code, 422);
    });
  });

  test('deleting the CRD deletes its objects and stops serving the resource', async () => {
    await withEmulator(async (emu) => {
      const api = await setUp(emu);
      const base = { group: GROUP, version: 'v1', plural: PLURAL };
      await api.createClusterCustomObject({ ...base, body: imageList('x', []) });
      const ext = emu.kubeConfig().makeApiClient(ApiextensionsV1Api);
      await ext.deleteCustomResourceDefinition({ name: 'imagelists.eraser.sh' });
      const err = await rejection(api.listClusterCustomObject(base));
      assert.equal(err.code, 404);
      await setUp(emu);
      const list = (await api.listClusterCustomObject(base)) as { items: unknown[] };
      assert.deepEqual(list.items, []);
    });
  });
});
