import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { compileExclusions } from '../../src/images/exclusions.js';
import { silentLogger } from '../../src/logger.js';
import { runCleanup, type CleanupOptions } from '../../src/node/cleanup.js';
import { startTestNode, type TestNode } from '../harness/index.js';

let node: TestNode;

before(async () => {
  node = await startTestNode();
});

after(async () => {
  await node.stop();
});

const HOUR = 3_600_000;

function options(entries: string[], clock: () => Date): CleanupOptions {
  return {
    entries,
    exclusions: compileExclusions([], 'none'),
    dryRun: false,
    concurrency: 2,
    keepSharedTags: false,
    skipInvalid: false,
    minAgeLimit: { text: '1h', ms: HOUR },
    clock,
  };
}

describe('--min-age on a real containerd', () => {
  test('containerd tells when each image arrived, by its records', async () => {
    const before = Date.now();
    const seeded = await node.seedImage({ tags: ['example.test/age/dated:1'], seed: 'dated' });

    const arrived = (await node.runtime.imageArrivals(await node.runtime.listImages())).get(
      seeded.id,
    );

    assert.ok(arrived, 'the new image has an arrival time');
    // containerd and this process read the same clock; a second either way is rounding.
    assert.ok(arrived.getTime() >= before - 1000 && arrived.getTime() <= Date.now() + 1000);
  });

  test('an image imported just now is kept, and removed once it is old enough', async () => {
    const seeded = await node.seedImage({ tags: ['example.test/age/fresh:1'], seed: 'fresh' });

    const now = await runCleanup(
      node.runtime,
      options([seeded.id], () => new Date()),
      silentLogger(),
    );
    assert.equal(now.decisions[0]?.outcome, 'too-recent');
    assert.ok(await node.runtime.imageStatus(seeded.id), 'kept while younger than 1h');

    const later = () => new Date(Date.now() + 2 * HOUR);
    const report = await runCleanup(node.runtime, options([seeded.id], later), silentLogger());
    assert.equal(report.decisions[0]?.outcome, 'removed');
    assert.equal(await node.runtime.imageStatus(seeded.id), undefined);
  });

  test('an image pulled under a tag another image had is dated by its own pull', async () => {
    const first = await node.seedImageViaRegistry(
      { seed: 'repull-1' },
      { repo: 'age/app', tag: 'latest', byDigest: false },
    );
    // A second apart, so the two pulls cannot be mistaken for each other on containerd's clock.
    await sleep(1100);
    const beforeSecond = Date.now();
    const second = await node.seedImageViaRegistry(
      { seed: 'repull-2' },
      { repo: 'age/app', tag: 'latest', byDigest: false },
    );
    assert.notEqual(first.id, second.id);

    const arrived = (await node.runtime.imageArrivals(await node.runtime.listImages())).get(
      second.id,
    );

    // The tag's record was created by the first pull; the second image must not inherit it.
    assert.ok(arrived, 'the new image has an arrival time');
    assert.ok(arrived.getTime() >= beforeSecond - 50, `${arrived.toISOString()} is the old pull`);
  });
});
