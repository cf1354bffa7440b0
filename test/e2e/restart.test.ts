import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LeadershipLostError } from '../../src/controller/index.js';
import { Bed, configYaml, LEASE, NAMESPACE, testConfig, waitFor } from './bed.js';

const JOBS = 'imagejobs.eraser.sh';

function created(bed: Bed, resource: string): number {
  return bed.emulator.requestLog.entries.filter(
    (e) => e.resource === resource && e.verb === 'create' && e.status === 201,
  ).length;
}

describe('manager restarts', () => {
  let bed: Bed;
  let dir: string;
  let configPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-restart-'));
    configPath = join(dir, 'config.yaml');
    await writeFile(configPath, configYaml(testConfig()));
    bed = await Bed.start({
      fakeNodes: [
        { name: 'a', mode: 'never-start' },
        { name: 'b', mode: 'never-start' },
        { name: 'c', mode: 'never-start' },
      ],
    });
  });

  after(async () => {
    await bed.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a manager killed mid-job is replaced by one adopting the job: no duplicates', async () => {
    const first = await bed.spawnManager(dir, configPath);
    await bed.applyImageList('adopted', ['alpine:3.7']);
    await waitFor('three pending worker pods', 30_000, () =>
      bed.emulator.store.list('pods', NAMESPACE).length === 3 ? true : undefined,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const second = await bed.startManager({ leaderElection: LEASE });
    await waitFor('the new manager to lead', 10_000, () => second.isRunning() || undefined);
    for (const node of ['a', 'b', 'c']) bed.sim.setMode(node, 'instant-success');
    const list = await bed.listDone('adopted', 1, 20_000);

    assert.equal((list['status'] as { success: number }).success, 3);
    assert.equal(created(bed, JOBS), 1, 'a second cluster-wide job was started');
    assert.equal(created(bed, 'pods'), 3, 'a node got a second worker pod');
    await waitFor('job, pods and ConfigMap gone', 10_000, async () => {
      await bed.emulator.settled();
      const left =
        bed.emulator.store.list(JOBS).length +
        bed.emulator.store.list('pods', NAMESPACE).length +
        bed.emulator.store
          .list('configmaps', NAMESPACE)
          .filter((cm) => cm.metadata.labels?.['eraser.sh/job'] !== undefined).length;
      return left === 0 || undefined;
    });
    await second.stop();
  });

  test('a standby takes over at once when the leader stops and hands the lease back', async () => {
    const leader = await bed.startManager({
      leaderElection: { ...LEASE, leaseDurationMs: 60_000, renewDeadlineMs: 30_000 },
    });
    await waitFor('leader running', 10_000, () => leader.isRunning() || undefined);
    const standby = await bed.startManager({
      leaderElection: { ...LEASE, leaseDurationMs: 60_000, renewDeadlineMs: 30_000 },
    });
    const ready = await fetch(`${standby.healthUrl ?? ''}/readyz`);
    assert.equal(await ready.text(), 'ok: standby\n');
    assert.equal(standby.isRunning(), false);

    await leader.stop();
    // The lease lasts a minute: only a released lease lets the standby lead this soon.
    await waitFor('standby to lead', 10_000, () => standby.isRunning() || undefined);
    await standby.stop();
  });

  test('a leader that cannot renew its lease stops rather than act beside a new one', async () => {
    const manager = await bed.startManager({ leaderElection: LEASE });
    await waitFor('leader running', 10_000, () => manager.isRunning() || undefined);
    bed.emulator.faults.add({ resource: 'leases.coordination.k8s.io', times: 10_000, status: 500 });
    await assert.rejects(manager.done, LeadershipLostError);
    assert.equal(manager.isRunning(), false);
    bed.emulator.faults.clear();
  });

  test('deleting an ImageList mid-run stops its job, pods and ConfigMap', async () => {
    for (const node of ['a', 'b', 'c']) bed.sim.setMode(node, 'never-start');
    const manager = await bed.startManager({ leaderElection: false });
    await bed.applyImageList('regret', ['alpine:3.7']);
    await waitFor('three pending worker pods', 10_000, () =>
      bed.emulator.store.list('pods', NAMESPACE).length === 3 ? true : undefined,
    );
    await bed.custom().deleteClusterCustomObject({
      group: 'eraser.sh',
      version: 'v1',
      plural: 'imagelists',
      name: 'regret',
    });
    await waitFor('job, pods and ConfigMap gone', 10_000, async () => {
      await bed.emulator.settled();
      const left =
        bed.emulator.store.list(JOBS).length + bed.emulator.store.list('pods', NAMESPACE).length;
      return left === 0 || undefined;
    });
    const cancelled = await manager.metrics.jobs.get();
    assert.ok(cancelled.values.some((v) => v.labels['phase'] === 'Cancelled' && v.value === 1));
    await manager.stop();
  });
});
