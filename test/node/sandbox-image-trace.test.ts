import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';

import { compileExclusions } from '../../src/images/exclusions.js';
import { silentLogger } from '../../src/logger.js';
import { runCleanup } from '../../src/node/cleanup.js';
import type { RunReport } from '../../src/node/decision.js';
import { connectRuntime } from '../../src/runtime/cri-client.js';
import { startTestNode, type TestNode } from '../harness/index.js';

// Each test renames the node's pause image, so each gets a containerd of its own.
let node: TestNode | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
});

async function freshNode(): Promise<TestNode> {
  node = await startTestNode();
  return node;
}

/** ctr changes reach the CRI plugin through events, a moment later. */
async function waitForTags(n: TestNode, imageId: string, tags: readonly string[]): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const image = await n.runtime.imageStatus(imageId);
    if (JSON.stringify(image?.repoTags) === JSON.stringify(tags)) return;
    await sleep(10);
  }
  assert.fail(`CRI never listed ${imageId} with tags ${JSON.stringify(tags)}`);
}

/** Runs `eraser run '*'` as a new process would: a new client, nothing cached. */
async function removeAllUnused(n: TestNode): Promise<RunReport> {
  const runtime = await connectRuntime(n.endpoint);
  try {
    const options = {
      entries: ['*'],
      exclusions: compileExclusions([], 'none'),
      dryRun: false,
      concurrency: 4,
      keepSharedTags: false,
      skipInvalid: false,
    };
    return await runCleanup(runtime, options, silentLogger());
  } finally {
    runtime.close();
  }
}

async function pauseImageId(n: TestNode): Promise<string> {
  const image = await n.runtime.imageStatus(n.sandboxImage);
  assert.ok(image, 'the pause image is on the node');
  return image.id;
}

describe('pod sandboxes traced to their image by layers', () => {
  test('a running sandbox keeps its image after the image lost its only tag', async () => {
    const n = await freshNode();
    const pod = await n.runPod({ name: 'untagged-pause' });
    const pauseId = await pauseImageId(n);
    await n.containerd.ctr(['images', 'rm', n.sandboxImage]);
    await waitForTags(n, pauseId, []);

    const report = await removeAllUnused(n);

    const decision = report.decisions.find((d) => d.imageId === pauseId);
    assert.equal(decision?.outcome, 'in-use');
    assert.deepEqual(
      decision.usedBy?.map((u) => u.id),
      [pod.id],
    );
    assert.ok(await n.runtime.imageStatus(pauseId), 'the sandbox image is still there');
  });

  test('a running sandbox keeps its image after its name moved to another image', async () => {
    const n = await freshNode();
    const pod = await n.runPod({ name: 'moved-pause' });
    const oldId = await pauseImageId(n);
    const other = await n.seedImage({ tags: ['registry.eraser.test/other:1'], seed: 'moved' });
    await n.containerd.ctr(['images', 'tag', '--force', other.reference, n.sandboxImage]);
    await waitForTags(n, oldId, []);

    const report = await removeAllUnused(n);

    const decision = report.decisions.find((d) => d.imageId === oldId);
    assert.equal(decision?.outcome, 'in-use');
    assert.deepEqual(
      decision.usedBy?.map((u) => u.id),
      [pod.id],
    );
    assert.ok(await n.runtime.imageStatus(oldId), 'the image the sandbox runs is still there');
    assert.ok(await n.runtime.imageStatus(other.id), 'the configured sandbox image stays too');
  });

  test('an image no sandbox runs is still removed when sandboxes are traced', async () => {
    const n = await freshNode();
    await n.runPod({ name: 'plain' });
    const unused = await n.seedImage({ tags: ['registry.eraser.test/unused:1'], seed: 'plain' });

    const report = await removeAllUnused(n);

    assert.equal(report.decisions.find((d) => d.imageId === unused.id)?.outcome, 'removed');
    assert.equal(await n.runtime.imageStatus(unused.id), undefined);
  });
});
