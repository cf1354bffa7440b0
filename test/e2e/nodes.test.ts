import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { EraserConfig } from '../../src/api/config.js';
import type { ManagerHandle } from '../../src/controller/index.js';
import { Bed, configYaml, NAMESPACE, testConfig, waitFor } from './bed.js';

interface ListStatus {
  success: number;
  failed: number;
  skipped: number;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

/**
 * Node filter, failing nodes and timeouts, on simulated nodes (no runtime needed: their pods
 * succeed, fail, never start or fail to pull at once). One manager reads its config from a
 * file that the tests rewrite, so config reloads are exercised too.
 */
describe('nodes: filter, failures and timeouts', () => {
  let bed: Bed;
  let manager: ManagerHandle;
  let dir: string;
  let reloads = 0;

  let written = '';

  /** Rewrites the config file (atomically, as a ConfigMap update does) and waits for the reload. */
  async function useConfig(edit: (c: EraserConfig) => void): Promise<void> {
    const path = join(dir, 'config.yaml');
    const text = configYaml(testConfig(edit));
    if (text === written) return;
    written = text;
    await writeFile(`${path}.new`, text);
    await rename(`${path}.new`, path);
    reloads += 1;
    await waitFor('config reload', 10_000, async () => {
      const metric = await manager.metrics.configReloads.get();
      return (metric.values[0]?.value ?? 0) >= reloads ? true : undefined;
    });
  }

  async function run(name: string): Promise<ListStatus> {
    await bed.applyImageList(name, ['alpine:3.7']);
    const list = await bed.listDone(name, 1, 20_000);
    return list['status'] as ListStatus;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-config-'));
    written = configYaml(testConfig());
    await writeFile(join(dir, 'config.yaml'), written);
    bed = await Bed.start({
      fakeNodes: [
        { name: 'a', labels: { pool: 'blue' } },
        { name: 'b', labels: { 'eraser.sh/cleanup.filter': 'true' } },
        { name: 'c' },
        { name: 'w', labels: { 'kubernetes.io/os': 'windows' } },
      ],
      instantMessage: JSON.stringify({ totals: { images: 9, removed: 3, failed: 0 } }),
    });
    manager = await bed.startManager({
      configPath: join(dir, 'config.yaml'),
      podStartTimeoutMs: 1500,
    });
  });

  after(async () => {
    await bed.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('filtered and Windows nodes are skipped, counted as skipped, and get no pod', async () => {
    bed.emulator.requestLog.clear();
    const status = await run('filtered');
    assert.deepEqual([status.success, status.failed, status.skipped], [2, 0, 2]);
    assert.equal(bed.emulator.requestLog.count('pods', 'create'), 2);
    const removed = await manager.metrics.imagesRemoved.get();
    assert.equal(removed.values[0]?.value, 6, 'images removed, from the worker reports');
  });

  test('include mode runs only on nodes matching a selector or the filter label', async () => {
    await useConfig((c) => {
      c.manager.nodeFilter = { type: 'include', selectors: ['pool=blue'] };
    });
    const status = await run('blue-only');
    // a (pool=blue) and b (eraser.sh/cleanup.filter, which include mode also honours, as Eraser)
    assert.deepEqual([status.success, status.failed, status.skipped], [2, 0, 2]);
  });

  test('one failing node fails the job at ratio 1.0 and says which node and why', async () => {
    await useConfig(() => undefined);
    bed.sim.setMode('c', 'instant-failure');
    const status = await run('strict');
    assert.deepEqual([status.success, status.failed, status.skipped], [1, 1, 2]);
    const succeeded = status.conditions.find((c) => c.type === 'Succeeded');
    assert.equal(succeeded?.status, 'False');
    assert.equal(succeeded.reason, 'SuccessRatioNotMet');
    assert.match(succeeded.message, /c \(WorkerError: container remover exited with code 1/);
  });

  test('the same failure passes a lower ratio, skipped nodes counting as done', async () => {
    await useConfig((c) => {
      c.manager.imageJob.successRatio = 0.75;
    });
    const status = await run('lenient');
    // (1 succeeded + 2 skipped) / 4 nodes = 0.75
    assert.deepEqual([status.success, status.failed, status.skipped], [1, 1, 2]);
    assert.equal(status.conditions.find((c) => c.type === 'Succeeded')?.status, 'True');
  });

  test('pods that never start or cannot pull their image time out as failed and go', async () => {
    await useConfig(() => undefined);
    bed.sim.setMode('a', 'image-pull-failure');
    bed.sim.setMode('c', 'never-start');
    const status = await run('stuck');
    assert.deepEqual([status.success, status.failed, status.skipped], [0, 2, 2]);
    const message = status.conditions.find((c) => c.type === 'Succeeded')?.message ?? '';
    assert.match(message, /a \(StartTimeout: the pod still ErrImagePull within 1.5s\)/);
    assert.match(message, /c \(StartTimeout: the pod never started within 1.5s\)/);
    await waitFor('timed-out pods deleted', 5_000, () =>
      bed.emulator.store.list('pods', NAMESPACE).length === 0 ? true : undefined,
    );
  });

  test('a config change mid-job applies to the next job, never to the running one', async () => {
    await useConfig(() => undefined);
    bed.sim.setMode('a', 'instant-failure');
    bed.sim.setMode('c', 'never-start');
    await bed.applyImageList('steady', ['alpine:3.7']);
    await waitFor(
      'the pod on c',
      5_000,
      () =>
        bed.emulator.store
          .list('pods', NAMESPACE)
          .some((p) => (p['spec'] as { nodeName?: string }).nodeName === 'c') || undefined,
    );
    await useConfig((c) => {
      c.manager.imageJob.successRatio = 0.5;
    });
    bed.sim.setMode('c', 'instant-success');
    const status = (await bed.listDone('steady', 1, 20_000))['status'] as ListStatus;
    // (1 succeeded + 2 skipped) / 4 = 0.75: enough for 0.5, not for the 1.0 the job started with
    assert.deepEqual([status.success, status.failed, status.skipped], [1, 1, 2]);
    assert.equal(status.conditions.find((c) => c.type === 'Succeeded')?.status, 'False');
  });

  test('a node that leaves the cluster mid-job fails at once instead of hanging', async () => {
    await useConfig((c) => {
      c.manager.nodeFilter = { type: 'include', selectors: ['pool=blue'] };
    });
    bed.sim.setMode('a', 'never-start');
    await bed.applyImageList('node-gone', ['alpine:3.7']);
    await waitFor(
      'pod on node a',
      5_000,
      () =>
        bed.emulator.store
          .list('pods', NAMESPACE)
          .some((p) => (p['spec'] as { nodeName?: string }).nodeName === 'a') || undefined,
    );
    bed.sim.removeNode('a');
    const list = await bed.listDone('node-gone', 1, 20_000);
    const status = list['status'] as ListStatus;
    assert.deepEqual([status.success, status.failed], [1, 1]);
    assert.match(status.conditions[1]?.message ?? '', /a \(NodeGone:/);
  });
});
