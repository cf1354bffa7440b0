import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { silentLogger } from '../logger.js';
import type { RuntimeImage } from '../runtime/types.js';
import { container, image, MemoryRuntime } from '../../test/support/memory-runtime.js';
import {
  InvalidImageListError,
  MinAgeUnsupportedError,
  runCleanup,
  type CleanupOptions,
} from './cleanup.js';
import type { ExclusionMatcher } from './plan.js';

const noExclusions: ExclusionMatcher = { match: () => undefined };

function options(entries: string[], extra: Partial<CleanupOptions> = {}): CleanupOptions {
  return {
    entries,
    exclusions: noExclusions,
    dryRun: false,
    concurrency: 4,
    keepSharedTags: false,
    skipInvalid: false,
    ...extra,
  };
}

function excludeTag(tag: string): ExclusionMatcher {
  return {
    match: (img: RuntimeImage) =>
      img.repoTags.includes(tag) ? { rule: tag, source: 'test.json', matched: tag } : undefined,
  };
}

const alpine = image({ repoTags: ['docker.io/library/alpine:3.20'], size: 5000 });
const nginx = image({
  repoTags: ['docker.io/library/nginx:1.27', 'docker.io/library/nginx:latest'],
  repoDigests: ['docker.io/library/nginx@sha256:' + 'a'.repeat(64)],
  size: 70000,
});
const app = image({ repoTags: ['registry.local:5000/team/app:v1'] });
const pause = image({ repoTags: ['registry.k8s.io/pause:3.9'], pinned: true });
const digestOnly = image({ repoDigests: ['quay.io/org/tool@sha256:' + 'b'.repeat(64)] });

function node() {
  return new MemoryRuntime({
    images: [alpine, nginx, app, pause, digestOnly],
    containers: [container(app.id, { name: 'web', state: 'exited' })],
  });
}

function outcomeOf(report: Awaited<ReturnType<typeof runCleanup>>, id: string) {
  return report.decisions.find((d) => d.imageId === id)?.outcome;
}

describe('runCleanup', () => {
  const cases: {
    name: string;
    entries: string[];
    extra?: Partial<CleanupOptions>;
    removed: RuntimeImage[];
    outcomes: [RuntimeImage, string][];
  }[] = [
    {
      name: 'removes an unused image named by its short familiar name',
      entries: ['alpine:3.20'],
      removed: [alpine],
      outcomes: [[alpine, 'removed']],
    },
    {
      name: 'keeps an image an exited container uses',
      entries: ['registry.local:5000/team/app:v1'],
      removed: [],
      outcomes: [[app, 'in-use']],
    },
    {
      name: 'keeps the pinned image even when asked for by name',
      entries: ['registry.k8s.io/pause:3.9'],
      removed: [],
      outcomes: [[pause, 'pinned']],
    },
    {
      name: 'removes every unused unpinned image for the star entry',
      entries: ['*'],
      removed: [alpine, nginx, digestOnly],
      outcomes: [
        [app, 'in-use'],
        [pause, 'pinned'],
        [digestOnly, 'removed'],
      ],
    },
    {
      name: 'keeps an excluded image and names the rule',
      entries: ['*'],
      extra: { exclusions: excludeTag('docker.io/library/alpine:3.20') },
      removed: [nginx, digestOnly],
      outcomes: [[alpine, 'excluded']],
    },
    {
      name: 'removes a multi-tag image named by one tag, with all its tags',
      entries: ['nginx:1.27'],
      removed: [nginx],
      outcomes: [[nginx, 'removed']],
    },
    {
      name: 'keeps a multi-tag image named by one tag when shared tags are protected',
      entries: ['nginx:1.27'],
      extra: { keepSharedTags: true },
      removed: [],
      outcomes: [[nginx, 'shared-tags']],
    },
    {
      name: 'removes a multi-tag image when every tag is named and shared tags are protected',
      entries: ['nginx:1.27', 'nginx'],
      extra: { keepSharedTags: true },
      removed: [nginx],
      outcomes: [[nginx, 'removed']],
    },
    {
      name: 'removes an image known only by digest',
      entries: ['quay.io/org/tool@sha256:' + 'b'.repeat(64)],
      removed: [digestOnly],
      outcomes: [[digestOnly, 'removed']],
    },
    {
      name: 'removes an image named by its full ID',
      entries: [alpine.id],
      removed: [alpine],
      outcomes: [[alpine, 'removed']],
    },
    {
      name: 'removes nothing in a dry run but reports what would go',
      entries: ['*'],
      extra: { dryRun: true },
      removed: [],
      outcomes: [
        [alpine, 'would-remove'],
        [app, 'in-use'],
      ],
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const runtime = node();
      const report = await runCleanup(runtime, options(c.entries, c.extra), silentLogger());
      assert.deepEqual(new Set(runtime.removed), new Set(c.removed.map((i) => i.id)));
      for (const [img, outcome] of c.outcomes) assert.equal(outcomeOf(report, img.id), outcome);
    });
  }

  test('reports which tags went with a removal of one tag', async () => {
    const report = await runCleanup(node(), options(['nginx:latest']), silentLogger());
    const decision = report.decisions.find((d) => d.imageId === nginx.id);
    assert.deepEqual(decision?.removedTags, nginx.repoTags);
    assert.equal(report.totals.bytesReclaimed, nginx.size);
  });

  test('reports an entry that matches nothing as not present', async () => {
    const report = await runCleanup(node(), options(['busybox:1']), silentLogger());
    assert.deepEqual(
      report.decisions.map((d) => [d.outcome, d.entries]),
      [['not-present', ['busybox:1']]],
    );
  });

  test('refuses a list with an invalid entry and removes nothing', async () => {
    const runtime = node();
    const run = runCleanup(runtime, options(['alpine:3.20', 'Not A Ref']), silentLogger());
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof InvalidImageListError);
      assert.match(err.message, /Not A Ref/);
      return true;
    });
    assert.deepEqual(runtime.removed, []);
  });

  test('goes on past an invalid entry when asked and reports it', async () => {
    const runtime = node();
    const opts = options(['alpine:3.20', 'Not A Ref'], { skipInvalid: true });
    const report = await runCleanup(runtime, opts, silentLogger());
    assert.deepEqual(runtime.removed, [alpine.id]);
    assert.equal(report.decisions.find((d) => d.entries.includes('Not A Ref'))?.outcome, 'invalid');
  });

  test('keeps an image a container started on after collection', async () => {
    const runtime = node();
    const opts = options(['alpine:3.20'], {
      afterCollect: () => {
        runtime.containers.push(container(alpine.id, { name: 'late' }));
        return Promise.resolve();
      },
    });
    const report = await runCleanup(runtime, opts, silentLogger());
    assert.deepEqual(runtime.removed, []);
    assert.equal(outcomeOf(report, alpine.id), 'in-use');
  });

  test('reports a failed removal with the runtime error and goes on', async () => {
    const runtime = node();
    runtime.failures.set(alpine.id, new Error('disk on fire'));
    const report = await runCleanup(
      runtime,
      options(['alpine:3.20', 'nginx:1.27']),
      silentLogger(),
    );
    const failed = report.decisions.find((d) => d.imageId === alpine.id);
    assert.deepEqual([failed?.outcome, failed?.error], ['failed', 'disk on fire']);
    assert.deepEqual(runtime.removed, [nginx.id]);
  });

  test('many long invalid entries give a short message: ten shown, the rest counted', async () => {
    const garbage = Array.from({ length: 500 }, (_, i) => `${'?'.repeat(5000)}${i}`);
    const refused = runCleanup(node(), options(garbage), silentLogger());
    await assert.rejects(refused, (err: unknown) => {
      assert.ok(err instanceof InvalidImageListError);
      assert.match(err.message, /has 500 invalid entries.*; and 490 more$/s);
      assert.ok(err.message.length < 5000, `message of ${err.message.length} chars`);
      assert.equal(err.decisions.length, 500);
      return true;
    });
  });

  test('a short ID written with its sha256: prefix names that image', async () => {
    const coffee = image({ id: `sha256:${'c0ffee'.padEnd(64, '1')}`, repoTags: ['x.test/c:1'] });
    const runtime = new MemoryRuntime({ images: [coffee, alpine] });
    const entries = ['sha256:c0ffee111111', 'sha256:0123456789ab'];
    const report = await runCleanup(runtime, options(entries), silentLogger());
    assert.equal(outcomeOf(report, coffee.id), 'removed');
    assert.deepEqual(runtime.removed, [coffee.id]);
    const missing = report.decisions.find((d) => d.entries.includes('sha256:0123456789ab'));
    assert.equal(missing?.outcome, 'not-present');
  });

  test('a removal answered too late counts as removed when the image is gone', async () => {
    const runtime = node();
    runtime.lateAnswers.add(alpine.id);
    const report = await runCleanup(runtime, options(['alpine:3.20']), silentLogger());
    const decision = report.decisions.find((d) => d.imageId === alpine.id);
    assert.equal(decision?.outcome, 'removed');
    assert.match(decision.reason, /answered late/);
    assert.equal(report.totals.failed, 0);
  });

  test('keeps an image used by a pod sandbox even when it is not pinned', async () => {
    const sandboxImage = image({ repoTags: ['docker.io/library/busybox:1.36'] });
    const runtime = new MemoryRuntime({
      images: [sandboxImage],
      sandboxes: [
        {
          id: 'p1',
          name: 'pod',
          namespace: 'default',
          state: 'ready',
          image: 'busybox:1.36',
        },
      ],
    });
    const report = await runCleanup(runtime, options(['*']), silentLogger());
    assert.deepEqual(runtime.removed, []);
    assert.equal(outcomeOf(report, sandboxImage.id), 'in-use');
  });

  test('keeps the configured sandbox image when it is not pinned and no pod runs', async () => {
    const pauseUnpinned = image({ repoTags: ['registry.k8s.io/pause:3.6'] });
    const runtime = new MemoryRuntime({
      images: [pauseUnpinned, alpine],
      sandboxImage: 'registry.k8s.io/pause:3.6',
    });
    const report = await runCleanup(runtime, options(['*']), silentLogger());
    assert.deepEqual(runtime.removed, [alpine.id]);
    assert.equal(outcomeOf(report, pauseUnpinned.id), 'pinned');
  });

  test('a hex entry that names both a repository and another image ID is ambiguous', async () => {
    const byId = image({ id: 'sha256:abcdef012345' + 'f'.repeat(52) });
    const byName = image({ repoTags: ['docker.io/library/abcdef012345:latest'] });
    const runtime = new MemoryRuntime({ images: [byId, byName] });

    const run = runCleanup(runtime, options(['abcdef012345']), silentLogger());

    await assert.rejects(run, /names both the image/);
    assert.deepEqual(runtime.removed, []);
  });

  test('a hex entry that only names a repository removes that image', async () => {
    const hexNamed = image({ repoTags: ['docker.io/library/abcdefabcdef:latest'] });
    const runtime = new MemoryRuntime({ images: [hexNamed, alpine] });

    await runCleanup(runtime, options(['abcdefabcdef']), silentLogger());

    assert.deepEqual(runtime.removed, [hexNamed.id]);
  });

  test('a container created between re-check and removal is named in the report', async () => {
    const runtime = node();
    runtime.beforeRemove = () => {
      runtime.containers.push(container(alpine.id, { name: 'late', state: 'created' }));
    };
    const report = await runCleanup(runtime, options(['alpine:3.20']), silentLogger());
    const decision = report.decisions.find((d) => d.imageId === alpine.id);
    assert.equal(decision?.outcome, 'removed');
    assert.match(decision.reason, /container late was created on it during the removal/);
  });

  test('an interrupted run finishes the removal in flight and skips the rest', async () => {
    const runtime = node();
    const controller = new AbortController();
    runtime.beforeRemove = () => {
      controller.abort();
    };
    const opts = options(['*'], { concurrency: 1, signal: controller.signal });

    const report = await runCleanup(runtime, opts, silentLogger());

    assert.equal(runtime.removed.length, 1);
    assert.equal(report.totals.removed, 1);
    assert.equal(report.totals.interrupted, 2);
  });
});

describe('runCleanup with --min-age', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const limit = { text: '2d', ms: 2 * 86_400_000 };
  const arrived = (ids: [RuntimeImage, string][]) => () =>
    Promise.resolve(new Map(ids.map(([img, at]) => [img.id, new Date(at)])));

  test('keeps an unused image that arrived recently and removes an older one', async () => {
    const runtime = node();
    runtime.imageArrivals = arrived([
      [alpine, '2026-12-04T06:00:00Z'],
      [digestOnly, '2026-11-01T00:00:00Z'],
    ]);
    const opts = options([alpine.id, digestOnly.id], { minAgeLimit: limit, clock: () => now });

    const report = await runCleanup(runtime, opts, silentLogger());

    assert.equal(outcomeOf(report, alpine.id), 'too-recent');
    assert.match(
      report.decisions.find((d) => d.imageId === alpine.id)?.reason ?? '',
      /arrived 6h ago/,
    );
    assert.equal(outcomeOf(report, digestOnly.id), 'removed');
    assert.deepEqual(runtime.removed, [digestOnly.id]);
    assert.equal(report.totals.kept, 1);
  });

  test('keeps an image whose arrival time the runtime does not know', async () => {
    const runtime = node();
    runtime.imageArrivals = arrived([]);
    const opts = options([digestOnly.id], { minAgeLimit: limit, clock: () => now });

    const report = await runCleanup(runtime, opts, silentLogger());

    assert.equal(outcomeOf(report, digestOnly.id), 'too-recent');
    assert.deepEqual(runtime.removed, []);
  });

  test('refuses the run when the runtime cannot tell arrival times, removing nothing', async () => {
    const runtime = node();
    const opts = options(['*'], { minAgeLimit: limit, clock: () => now });

    await assert.rejects(runCleanup(runtime, opts, silentLogger()), MinAgeUnsupportedError);
    assert.deepEqual(runtime.removed, []);
  });

  test('without --min-age, arrival times are not asked for', async () => {
    const runtime = node();
    let asked = false;
    runtime.imageArrivals = () => {
      asked = true;
      return Promise.resolve(new Map());
    };

    await runCleanup(runtime, options([digestOnly.id]), silentLogger());

    assert.equal(asked, false);
    assert.deepEqual(runtime.removed, [digestOnly.id]);
  });
});
