import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CoordinationV1Api, V1Lease, V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';

import { model, rejection, statusOf, withEmulator } from './fixtures.js';

const NS = 'kube-system';
const NAME = 'eraser-manager';

function lease(holder: string): V1Lease {
  return model(V1Lease, {
    metadata: { name: NAME, namespace: NS },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTime: new V1MicroTime(),
      renewTime: new V1MicroTime(),
      leaseTransitions: 0,
    },
  });
}

/** A copy of `current` with some spec fields changed, as a candidate would write it. */
function withSpec(current: V1Lease, changes: object): V1Lease {
  const copy = structuredClone(current);
  copy.spec = Object.assign(copy.spec ?? new V1LeaseSpec(), changes);
  return copy;
}

describe('leases for leader election', () => {
  test('a candidate acquires, renews, and a rival holding an old copy gets 409', async () => {
    await withEmulator(async (emu) => {
      const kc = emu.kubeConfig();
      const a = kc.makeApiClient(CoordinationV1Api);
      const b = kc.makeApiClient(CoordinationV1Api);

      const acquired = await a.createNamespacedLease({ namespace: NS, body: lease('a') });
      const rivalView = await b.readNamespacedLease({ name: NAME, namespace: NS });
      const lost = await rejection(b.createNamespacedLease({ namespace: NS, body: lease('b') }));
      assert.equal(lost.code, 409);

      const renewed = await a.replaceNamespacedLease({
        name: NAME,
        namespace: NS,
        body: withSpec(acquired, { renewTime: new V1MicroTime() }),
      });
      assert.notEqual(renewed.metadata?.resourceVersion, acquired.metadata?.resourceVersion);

      const stolen = await rejection(
        b.replaceNamespacedLease({
          name: NAME,
          namespace: NS,
          body: withSpec(rivalView, { holderIdentity: 'b' }),
        }),
      );
      assert.equal(stolen.code, 409);
      assert.equal(statusOf(stolen)['reason'], 'Conflict');
      const now = await a.readNamespacedLease({ name: NAME, namespace: NS });
      assert.equal(now.spec?.holderIdentity, 'a');
      assert.deepEqual(now.spec.renewTime, renewed.spec?.renewTime);
    });
  });

  test('a replace of a missing lease creates it, as the apiserver allows for leases', async () => {
    await withEmulator(async (emu) => {
      const api = emu.kubeConfig().makeApiClient(CoordinationV1Api);
      const created = await api.replaceNamespacedLease({
        name: NAME,
        namespace: NS,
        body: lease('a'),
      });
      assert.equal(created.spec?.holderIdentity, 'a');
    });
  });
});
