import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Condition } from '../../src/api/condition.js';
import { Bed, NAMESPACE, waitFor } from './bed.js';

function complete(bed: Bed, list: string): Condition | undefined {
  const status = bed.imageList(list)?.['status'] as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === 'Complete');
}

/** `kubectl get imagelists` shows a run under way, not only its end. */
describe('ImageList progress', () => {
  let bed: Bed;

  before(async () => {
    bed = await Bed.start({ fakeNodes: [{ name: 'a', mode: 'never-start' }] });
    await bed.startManager();
  });

  after(() => bed.stop());

  test('a list shows Complete=False, reason Running and its job while it runs', async () => {
    await bed.applyImageList('watched', ['alpine:3.7']);
    await waitFor(
      'the worker pod',
      20_000,
      () => bed.emulator.store.list('pods', NAMESPACE).length === 1 || undefined,
    );
    const job = bed.emulator.store.list('imagejobs.eraser.sh')[0]?.metadata.name ?? '';
    const running = await waitFor('a Running condition', 10_000, () => complete(bed, 'watched'));
    assert.equal(running.status, 'False');
    assert.equal(running.reason, 'Running');
    assert.equal(running.observedGeneration, 1);
    assert.match(running.message, new RegExp(`^${job} running on 1 nodes`));

    bed.sim.setMode('a', 'instant-success');
    await bed.listDone('watched', 1, 30_000);
    assert.equal(complete(bed, 'watched')?.status, 'True');
  });
});
