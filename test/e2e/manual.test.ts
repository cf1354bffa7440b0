import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { TestNode } from '../harness/index.js';
import { Bed, NAMESPACE, waitFor } from './bed.js';

/** What a node holds, by the seed each test image was built from. */
async function imageIds(node: TestNode): Promise<Set<string>> {
  return new Set((await node.runtime.listImages()).map((i) => i.id));
}

interface Seeded {
  readonly old: string;
  readonly inUse: string;
  readonly kept: string;
  readonly unlisted: string;
}

async function seed(node: TestNode): Promise<Seeded> {
  const old = await node.seedImage({ tags: ['alpine:3.7'], seed: 'old' });
  const inUse = await node.seedImage({ tags: ['registry.eraser.test/app:v1'], seed: 'app' });
  const kept = await node.seedImage({ tags: ['registry.eraser.test/keep:v2'], seed: 'keep' });
  const unlisted = await node.seedImage({ tags: ['registry.eraser.test/other:v3'], seed: 'other' });
  await node.runContainer(inUse.reference, { state: 'running' });
  return { old: old.id, inUse: inUse.id, kept: kept.id, unlisted: unlisted.id };
}

describe('manual mode on two real containerd nodes', () => {
  let bed: Bed;
  let seeded: Seeded[];

  before(async () => {
    bed = await Bed.start({ realNodes: 2 });
    seeded = await Promise.all(bed.nodes.map(seed));
    await bed.addExclusions('keep-list', {
      // Any key name works; Eraser's examples use "excluded".
      'team-rules': JSON.stringify({ excluded: ['registry.eraser.test/keep:*'] }),
    });
    await bed.startManager();
  });

  after(() => bed.stop());

  test('an ImageList removes unused images, keeping in-use and excluded ones', async () => {
    await bed.applyImageList('spring-cleaning', [
      'alpine:3.7',
      'registry.eraser.test/app:v1',
      'registry.eraser.test/keep:v2',
    ]);
    const list = await bed.listDone('spring-cleaning');

    const status = list['status'] as Record<string, unknown>;
    assert.equal(status['success'], 2);
    assert.equal(status['failed'], 0);
    assert.equal(status['skipped'], 0);
    const conditions = status['conditions'] as { type: string; status: string }[];
    assert.deepEqual(
      conditions.map((c) => `${c.type}=${c.status}`),
      ['Complete=True', 'Succeeded=True'],
    );

    for (const [i, node] of bed.nodes.entries()) {
      const ids = await imageIds(node);
      const mine = seeded[i];
      assert.ok(mine !== undefined);
      assert.equal(ids.has(mine.old), false, `alpine:3.7 still on node ${i + 1}`);
      assert.equal(ids.has(mine.inUse), true, 'an image a running container uses was removed');
      assert.equal(ids.has(mine.kept), true, 'an excluded image was removed');
      assert.equal(ids.has(mine.unlisted), true, 'an image nobody listed was removed');
    }
  });

  test('each worker got the image list and the exclusions as files, and reported as JSON', () => {
    assert.equal(bed.sim.records.length, 2);
    for (const record of bed.sim.records) {
      assert.equal(record.result.exitCode, 0, record.result.stderr);
      const report = JSON.parse(record.result.stdout) as {
        decisions: { outcome: string; tags: string[] }[];
      };
      const outcome = (tag: string) => report.decisions.find((d) => d.tags.includes(tag))?.outcome;
      assert.equal(outcome('docker.io/library/alpine:3.7'), 'removed');
      assert.equal(outcome('registry.eraser.test/app:v1'), 'in-use');
      assert.equal(outcome('registry.eraser.test/keep:v2'), 'excluded');
    }
  });

  test('the finished job goes with its pods and ConfigMap, and events tell the story', async () => {
    await waitFor('job, pods and job ConfigMap gone', 10_000, async () => {
      await bed.emulator.settled();
      const jobs = bed.emulator.store.list('imagejobs.eraser.sh');
      const pods = bed.emulator.store.list('pods', NAMESPACE);
      const maps = bed.emulator.store
        .list('configmaps', NAMESPACE)
        .filter((cm) => cm.metadata.labels?.['eraser.sh/job'] !== undefined);
      return jobs.length + pods.length + maps.length === 0 ? true : undefined;
    });
    const reasons = bed.emulator.store
      .list('events', 'default')
      .filter((e) => (e['involvedObject'] as { kind: string }).kind === 'ImageList')
      .map((e) => e['reason']);
    assert.deepEqual(reasons.sort(), ['JobStarted', 'Succeeded']);
  });

  test('the metrics count the job and its pods', async () => {
    const url = bed.managers[0]?.metricsUrl ?? assert.fail('no metrics server');
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /eraser_imagejobs_total\{type="manual",phase="Completed"\} 1/);
    assert.match(text, /eraser_pods_completed_total\{type="manual"\} 2/);
  });
});
