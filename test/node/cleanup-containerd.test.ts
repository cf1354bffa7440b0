import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { compileExclusions } from '../../src/images/exclusions.js';
import { silentLogger } from '../../src/logger.js';
import { runCleanup, type CleanupOptions } from '../../src/node/cleanup.js';
import type { RunReport } from '../../src/node/decision.js';
import { startTestNode, type SeededImage, type TestNode } from '../harness/index.js';

// One real containerd for the file; every test seeds images of its own (distinct seeds), so the
// order of tests does not matter.
let node: TestNode;

before(async () => {
  node = await startTestNode();
});

after(async () => {
  await node.stop();
});

function options(entries: string[], extra: Partial<CleanupOptions> = {}): CleanupOptions {
  return {
    entries,
    exclusions: compileExclusions([], 'none'),
    dryRun: false,
    concurrency: 4,
    keepSharedTags: false,
    skipInvalid: false,
    ...extra,
  };
}

async function present(image: SeededImage): Promise<boolean> {
  return (await node.runtime.imageStatus(image.id)) !== undefined;
}

function decisionFor(report: RunReport, image: SeededImage) {
  return report.decisions.find((d) => d.imageId === image.id);
}

describe('cleanup on a real containerd', () => {
  test('removes an unused image named by a short reference and keeps the rest', async () => {
    const old = await node.seedImage({ tags: ['busybox:1.35'], seed: 'short-ref' });
    const other = await node.seedImage({ tags: ['busybox:1.36'], seed: 'short-ref-other' });

    const report = await runCleanup(node.runtime, options(['busybox:1.35']), silentLogger());

    assert.equal(decisionFor(report, old)?.outcome, 'removed');
    assert.equal(await present(old), false);
    assert.equal(await present(other), true);
  });

  test('keeps images used by running, exited and created containers', async () => {
    const running = await node.seedImage({ tags: ['example.test/use/running:1'], seed: 'u-run' });
    const exited = await node.seedImage({ tags: ['example.test/use/exited:1'], seed: 'u-exit' });
    const created = await node.seedImage({ tags: ['example.test/use/created:1'], seed: 'u-new' });
    await node.runContainer(running.reference, { state: 'running' });
    await node.runContainer(exited.reference, { state: 'exited' });
    await node.runContainer(created.id, { state: 'created' });

    const entries = [running.reference, exited.reference, created.reference];
    const report = await runCleanup(node.runtime, options(entries), silentLogger());

    for (const image of [running, exited, created]) {
      assert.equal(decisionFor(report, image)?.outcome, 'in-use', image.reference);
      assert.equal(await present(image), true, image.reference);
    }
    assert.match(decisionFor(report, exited)?.reason ?? '', /\(exited\)/);
  });

  test('keeps the sandbox image although containerd 1.6 does not pin it', async () => {
    const report = await runCleanup(node.runtime, options([node.sandboxImage]), silentLogger());

    const pause = report.decisions.find((d) => d.tags.some((t) => t.includes('pause')));
    assert.equal(pause?.outcome, 'pinned');
    assert.ok((await node.runtime.imageStatus(node.sandboxImage)) !== undefined);
  });

  test('removing one tag of a multi-tag image removes every tag and reports them', async () => {
    const tags = ['example.test/multi/app:v1', 'example.test/multi/app:stable'];
    const multi = await node.seedImage({ tags, seed: 'multi' });

    const report = await runCleanup(node.runtime, options([tags[0] ?? '']), silentLogger());

    assert.deepEqual([...(decisionFor(report, multi)?.removedTags ?? [])].sort(), [...tags].sort());
    assert.equal(await present(multi), false);
  });

  test('keeps a multi-tag image named by one tag when shared tags are protected', async () => {
    const tags = ['example.test/shared/app:v1', 'example.test/shared/app:stable'];
    const multi = await node.seedImage({ tags, seed: 'shared' });

    const opts = options([tags[0] ?? ''], { keepSharedTags: true });
    const report = await runCleanup(node.runtime, opts, silentLogger());

    assert.equal(decisionFor(report, multi)?.outcome, 'shared-tags');
    assert.equal(await present(multi), true);
  });

  test('removes an image known only by digest, pulled from a registry', async () => {
    const pulled = await node.seedImageViaRegistry({ seed: 'by-digest' }, { repo: 'team/tool' });
    const status = await node.runtime.imageStatus(pulled.id);
    assert.ok(status);
    assert.deepEqual(status.repoTags, []);
    const digestRef = status.repoDigests[0] ?? '';

    const report = await runCleanup(node.runtime, options([digestRef]), silentLogger());

    assert.equal(decisionFor(report, pulled)?.outcome, 'removed');
    assert.equal(await present(pulled), false);
  });

  test('keeps an image an exclusion rule matches and names the rule', async () => {
    const kept = await node.seedImage({ tags: ['example.test/excl/keep:1'], seed: 'excl' });
    const exclusions = compileExclusions(['example.test/excl/*'], 'rules.json');

    const report = await runCleanup(
      node.runtime,
      options(['*'], { exclusions, dryRun: true }),
      silentLogger(),
    );

    const decision = decisionFor(report, kept);
    assert.deepEqual(
      [decision?.outcome, decision?.exclusion?.rule],
      ['excluded', 'example.test/excl/*'],
    );
  });

  test('a dry run reports what would go and removes nothing', async () => {
    const unused = await node.seedImage({ tags: ['example.test/dry/unused:1'], seed: 'dry' });
    const before = (await node.runtime.listImages()).length;

    const report = await runCleanup(node.runtime, options(['*'], { dryRun: true }), silentLogger());

    assert.equal(decisionFor(report, unused)?.outcome, 'would-remove');
    assert.equal((await node.runtime.listImages()).length, before);
    assert.ok(report.totals.bytesReclaimable > 0);
  });

  test('keeps an image a container starts on between collection and removal', async () => {
    const raced = await node.seedImage({ tags: ['example.test/race/app:1'], seed: 'race' });
    const opts = options([raced.reference], {
      afterCollect: async () => {
        await node.runContainer(raced.reference, { state: 'running' });
      },
    });

    const report = await runCleanup(node.runtime, opts, silentLogger());

    assert.equal(decisionFor(report, raced)?.outcome, 'in-use');
    assert.match(decisionFor(report, raced)?.reason ?? '', /re-check/);
    assert.equal(await present(raced), true);
  });
});
