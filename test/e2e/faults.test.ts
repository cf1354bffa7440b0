import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Bed, NAMESPACE, waitFor } from './bed.js';

function created(bed: Bed, resource: string): number {
  return bed.emulator.requestLog.entries.filter(
    (e) => e.resource === resource && e.verb === 'create' && e.status === 201,
  ).length;
}

/** A flaky API server: throttling, errors, conflicts and lost watches, one run each. */
describe('injected API faults', () => {
  let bed: Bed;

  before(async () => {
    bed = await Bed.start({
      fakeNodes: [
        { name: 'a', mode: 'never-start' },
        { name: 'b', mode: 'never-start' },
        { name: 'c', mode: 'never-start' },
      ],
    });
    await bed.startManager({ retry: { attempts: 6, baseDelayMs: 20, maxDelayMs: 200 } });
  });

  after(() => bed.stop());

  async function runThrough(name: string, inject: () => void): Promise<void> {
    bed.emulator.requestLog.clear();
    for (const node of ['a', 'b', 'c']) bed.sim.setMode(node, 'never-start');
    inject();
    await bed.applyImageList(name, ['alpine:3.7']);
    await waitFor(
      'three worker pods',
      20_000,
      () => bed.emulator.store.list('pods', NAMESPACE).length === 3 || undefined,
    );
    bed.emulator.faults.dropWatches();
    for (const node of ['a', 'b', 'c']) bed.sim.setMode(node, 'instant-success');
    const list = await bed.listDone(name, 1, 30_000);
    assert.equal((list['status'] as { success: number }).success, 3);
    assert.equal(created(bed, 'imagejobs.eraser.sh'), 1, 'more than one job');
    assert.equal(created(bed, 'pods'), 3, 'more than one pod per node');
    assert.equal(bed.emulator.faults.pending(), 0, 'an injected fault was never hit');
    await waitFor(
      'job gone',
      10_000,
      () => bed.emulator.store.list('imagejobs.eraser.sh').length === 0 || undefined,
    );
  }

  test('throttled pod creations (429 with Retry-After) are retried', async () => {
    await runThrough('throttled', () => {
      bed.emulator.faults.add({
        verb: 'create',
        resource: 'pods',
        times: 2,
        status: 429,
        retryAfter: 1,
      });
    });
  });

  test('server errors on status writes and on job creation are retried', async () => {
    await runThrough('flaky', () => {
      bed.emulator.faults.add({
        verb: 'patch',
        resource: 'imagejobs.eraser.sh/status',
        times: 2,
        status: 500,
      });
      bed.emulator.faults.add({
        verb: 'create',
        resource: 'imagejobs.eraser.sh',
        times: 1,
        status: 500,
      });
    });
  });

  test('conflicts on the job ConfigMap and the list status are survived', async () => {
    await runThrough('conflicted', () => {
      bed.emulator.faults.add({ verb: 'create', resource: 'configmaps', times: 1, status: 409 });
      bed.emulator.faults.add({
        verb: 'patch',
        resource: 'imagelists.eraser.sh/status',
        times: 1,
        status: 409,
      });
    });
  });

  test('dropped watches and compacted history (410) are relisted, missing nothing', async () => {
    await runThrough('relisted', () => {
      bed.emulator.store.compact();
      bed.emulator.faults.dropWatches();
    });
  });
});
