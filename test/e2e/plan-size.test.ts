import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { KubeObject } from '../kube-emulator/index.js';
import { Bed, NAMESPACE, testConfig, waitFor } from './bed.js';

interface ListCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

function conditions(list: KubeObject): ListCondition[] {
  return (list['status'] as { conditions: ListCondition[] }).conditions;
}

function eventsAbout(bed: Bed, kind: string): { reason: string; message: string }[] {
  return bed.emulator.store
    .list('events', 'default')
    .filter((e) => (e['involvedObject'] as { kind: string }).kind === kind)
    .map((e) => ({ reason: String(e['reason']), message: String(e['message']) }));
}

function jobPhases(bed: Bed): string[] {
  return bed.emulator.store
    .list('imagejobs.eraser.sh')
    .map((j) => String((j['status'] as { phase?: string } | undefined)?.phase));
}

/** Jobs whose plan cannot be stored end at once, with a reason, instead of retrying forever. */
describe('a job plan the API server cannot store', () => {
  let bed: Bed;

  before(async () => {
    bed = await Bed.start({ fakeNodes: [{ name: 'a', mode: 'instant-success' }] });
    const config = testConfig((c) => {
      c.manager.imageJob.cleanup.delayOnFailureMs = 600_000;
    });
    await bed.startManager({ config });
  });

  after(() => bed.stop());

  test('an ImageList too big for the job ConfigMap fails its job and says how big', async () => {
    // 40,000 entries, about 1.5 MB: a valid ImageList, more than a ConfigMap holds.
    const images = Array.from({ length: 40_000 }, (_, i) => `registry.example.test/app:v${i}`);
    bed.emulator.requestLog.clear();
    await bed.applyImageList('huge', images);

    const list = await bed.listDone('huge', 1, 30_000);
    const complete = conditions(list).find((c) => c.type === 'Complete');
    assert.equal(complete?.reason, 'ImageListTooLarge');
    assert.match(complete.message, /^image list is \d+ bytes; at most \d+ fit$/);
    // Events are recorded after the status write, so wait for it rather than read it at once.
    const failed = await waitFor('the Failed event on the ImageList', 10_000, () =>
      eventsAbout(bed, 'ImageList').find((e) => e.reason === 'Failed'),
    );
    assert.match(failed.message, /image list is \d+ bytes; at most \d+ fit/);
    assert.deepEqual(jobPhases(bed), ['Failed']);
    assert.equal(bed.emulator.requestLog.count('configmaps', 'create'), 0);
    assert.equal(bed.emulator.store.list('pods', NAMESPACE).length, 0);
  });

  test('a job ConfigMap the API server refuses as invalid is not retried', async () => {
    await deleteJobs(bed);
    bed.emulator.requestLog.clear();
    bed.emulator.faults.add({ verb: 'create', resource: 'configmaps', times: 1, status: 422 });
    await bed.applyImageList('refused', ['alpine:3.7']);

    const list = await bed.listDone('refused', 1, 30_000);
    const complete = conditions(list).find((c) => c.type === 'Complete');
    assert.equal(complete?.reason, 'PlanRejected');
    assert.match(complete.message, /refused the job's ConfigMap.*422/);
    assert.deepEqual(jobPhases(bed), ['Failed']);
    assert.equal(bed.emulator.requestLog.count('configmaps', 'create'), 1);
    assert.equal(bed.emulator.store.list('pods', NAMESPACE).length, 0);
  });
});

/** Failed jobs are kept here (long delayOnFailure); the next list's job waits for none. */
async function deleteJobs(bed: Bed): Promise<void> {
  for (const job of bed.emulator.store.list('imagejobs.eraser.sh')) {
    bed.emulator.store.delete('imagejobs.eraser.sh', undefined, job.metadata.name ?? '');
  }
  await waitFor(
    'jobs gone',
    10_000,
    () => bed.emulator.store.list('imagejobs.eraser.sh').length === 0 || undefined,
  );
}
