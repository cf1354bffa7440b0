import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { EraserConfig } from '../../src/api/config.js';
import { nextCronMs } from '../../src/controller/schedule.js';
import { STATE_CONFIGMAP } from '../../src/controller/scheduler.js';
import type { ManagerHandle } from '../../src/controller/index.js';
import type { SeededImage, TestNode } from '../harness/index.js';
import { Bed, NAMESPACE, testConfig, waitFor } from './bed.js';

const HOUR = 3_600_000;

function automated(edit: (c: EraserConfig) => void = () => undefined): EraserConfig {
  return testConfig((c) => {
    c.components.collector.enabled = true;
    c.manager.scheduling = { repeatIntervalMs: HOUR, beginImmediately: true };
    edit(c);
  });
}

async function completedAutomatedJobs(manager: ManagerHandle): Promise<number> {
  const metric = await manager.metrics.jobs.get();
  const hit = metric.values.find(
    (v) => v.labels['type'] === 'automated' && v.labels['phase'] === 'Completed',
  );
  return hit?.value ?? 0;
}

interface Seeded {
  readonly stale: SeededImage;
  readonly inUse: SeededImage;
  readonly kept: SeededImage;
}

async function seed(node: TestNode): Promise<Seeded> {
  const stale = await node.seedImage({ tags: ['registry.eraser.test/stale:v1'], seed: 'stale' });
  const inUse = await node.seedImage({ tags: ['registry.eraser.test/web:v9'], seed: 'web' });
  const kept = await node.seedImage({ tags: ['registry.eraser.test/base:v1'], seed: 'base' });
  await node.runContainer(inUse.reference, { state: 'running' });
  return { stale, inUse, kept };
}

describe('automated mode on a schedule', () => {
  let bed: Bed;
  let seeded: Seeded[];
  let lastRun: number;

  before(async () => {
    bed = await Bed.start({ realNodes: 2 });
    seeded = await Promise.all(bed.nodes.map(seed));
    await bed.addExclusions('base-images', {
      excluded: JSON.stringify({ excluded: ['registry.eraser.test/base:*'] }),
    });
  });

  after(() => bed.stop());

  test('with beginImmediately, the first run removes every unused image at once', async () => {
    const manager = await bed.startManager({ config: automated() });
    await waitFor(
      'an automated job to complete',
      60_000,
      async () => (await completedAutomatedJobs(manager)) === 1 || undefined,
    );
    for (const [i, node] of bed.nodes.entries()) {
      const ids = new Set((await node.runtime.listImages()).map((img) => img.id));
      const mine = seeded[i] ?? assert.fail('no seed');
      assert.equal(ids.has(mine.stale.id), false, 'an unused image survived');
      assert.equal(ids.has(mine.inUse.id), true, 'an image in use was removed');
      assert.equal(ids.has(mine.kept.id), true, 'an excluded image was removed');
      assert.equal(
        ids.has(node.containerd.sandboxImageBuilt.id),
        true,
        'the pause image was removed',
      );
    }
    const state = bed.emulator.store.get('configmaps', NAMESPACE, STATE_CONFIGMAP);
    const recorded = (state?.['data'] as Record<string, string> | undefined)?.['automated.lastRun'];
    lastRun = Date.parse(recorded ?? '');
    assert.ok(Number.isFinite(lastRun), 'the last run time was not recorded');
    assert.equal(manager.nextAutomatedRun()?.getTime(), lastRun + HOUR);
    await manager.stop();
  });

  test('a restarted manager keeps the schedule: next run an interval after the last', async () => {
    const jobsBefore = bed.emulator.requestLog.count('imagejobs.eraser.sh', 'create');
    const manager = await bed.startManager({ config: automated() });
    const next = await waitFor('the schedule', 10_000, () => manager.nextAutomatedRun());
    assert.equal(next.getTime(), lastRun + HOUR);
    assert.equal(bed.emulator.requestLog.count('imagejobs.eraser.sh', 'create'), jobsBefore);
    await manager.stop();
  });

  test('a cron schedule counts from the last run too', async () => {
    const config = automated((c) => {
      c.manager.scheduling.cron = '@hourly';
    });
    const manager = await bed.startManager({ config });
    const next = await waitFor('the schedule', 10_000, () => manager.nextAutomatedRun());
    assert.equal(next.getTime(), nextCronMs('@hourly', lastRun));
    await manager.stop();
  });
});
