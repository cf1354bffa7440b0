import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { RunReport } from '../../src/node/decision.js';
import { startTestNode, type TestNode } from '../harness/index.js';
import { runCli } from './run-cli.js';

let node: TestNode;
let dir = '';

before(async () => {
  node = await startTestNode();
  dir = await mkdtemp(join(tmpdir(), 'eraser-cli-run-'));
});

after(async () => {
  await node.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('eraser run against a real containerd', () => {
  test('an ImageList file and an exclusion folder drive a JSON-reported cleanup', async () => {
    const gone = await node.seedImage({ tags: ['example.test/cli/gone:1'], seed: 'cli-gone' });
    const kept = await node.seedImage({ tags: ['example.test/cli/kept:1'], seed: 'cli-kept' });
    const list = join(dir, 'imagelist.yaml');
    await writeFile(list, `kind: ImageList\nspec:\n  images: ["${gone.reference}", "*"]\n`);
    const exclusions = join(dir, 'excluded');
    await mkdir(exclusions);
    await writeFile(join(exclusions, 'keep.json'), '{"excluded": ["example.test/cli/kept:*"]}');

    const r = await runCli([
      'run',
      '-r',
      node.endpoint,
      '-f',
      list,
      '-E',
      exclusions,
      '-o',
      'json',
    ]);

    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as RunReport;
    const outcome = (id: string) => report.decisions.find((d) => d.imageId === id)?.outcome;
    assert.equal(outcome(gone.id), 'removed');
    assert.equal(outcome(kept.id), 'excluded');
    assert.equal(await node.runtime.imageStatus(gone.id), undefined);
    assert.match(r.stderr, /"msg":"image decision"/);
  });

  test('a dry run prints a table and leaves every image in place', async () => {
    const img = await node.seedImage({ tags: ['example.test/cli/dry:1'], seed: 'cli-dry' });

    const r = await runCli(['run', '-r', node.endpoint, '-a', '-n', '--log-level', 'silent']);

    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would-remove\s+example\.test\/cli\/dry:1/);
    assert.match(r.stdout, /dry run, nothing removed/);
    assert.notEqual(await node.runtime.imageStatus(img.id), undefined);
  });

  test('--min-age keeps an image imported moments ago and says why', async () => {
    const img = await node.seedImage({ tags: ['example.test/cli/young:1'], seed: 'cli-young' });

    const args = ['run', '-r', node.endpoint, '-i', img.id, '--min-age', '1h'];
    const r = await runCli([...args, '--log-level', 'silent']);

    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /too-recent\s+example\.test\/cli\/young:1/);
    assert.match(r.stdout, /younger than --min-age 1h/);
    assert.notEqual(await node.runtime.imageStatus(img.id), undefined);
  });

  test('a list of 20,000 garbage entries is refused in a few short lines', async () => {
    const list = join(dir, 'garbage.txt');
    await writeFile(
      list,
      Array.from({ length: 20_000 }, (_, i) => `Not An Image ${i}!`).join('\n'),
    );
    const r = await runCli(['run', '-r', node.endpoint, '-f', list, '-n']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has 20000 invalid entries.*and 19990 more/);
    assert.ok(r.stderr.length < 20_000, `stderr holds ${r.stderr.length} characters`);
  });

  test('a worker writes its totals where the pod asks, for the manager to read', async () => {
    await node.seedImage({ tags: ['example.test/cli/summary:1'], seed: 'cli-summary' });
    const file = join(dir, 'termination-log');

    const args = ['run', '-r', node.endpoint, '-a', '--log-level', 'silent'];
    const r = await runCli(args, { ERASER_TERMINATION_LOG: file });

    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(await readFile(file, 'utf8')) as { totals: { removed: number } };
    assert.ok(summary.totals.removed >= 1);
    assert.ok(Buffer.byteLength(JSON.stringify(summary)) <= 4096);
  });
});
