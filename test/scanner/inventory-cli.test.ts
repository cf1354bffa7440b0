import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { InventoryReport } from '../../src/cli/inventory-run.js';
import { buildImage, startTestNode, writeOciArchive, type TestNode } from '../harness/index.js';
import { run } from '../harness/exec.js';
import { APP_PURLS, appImage } from './fixtures.js';
import { FIXED_UUID, runInventory } from './run-inventory.js';

let node: TestNode;
let dir: string;

before(async () => {
  node = await startTestNode();
  dir = await mkdtemp(join(tmpdir(), 'inventory-cli-'));
});

after(async () => {
  await node.stop();
  await rm(dir, { recursive: true, force: true });
});

interface JsonImage {
  readonly status: string;
  readonly image: string;
  readonly id?: string;
  readonly packages?: readonly { purl: string }[];
  readonly error?: { code: string; message: string };
}

interface JsonReport extends Omit<InventoryReport, 'images'> {
  readonly images: readonly JsonImage[];
}

function parseReport(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

function purls(image: JsonImage | undefined): string[] {
  return (image?.packages ?? []).map((p) => p.purl).sort();
}

interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  components?: CdxComponent[];
}

interface CdxBom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component?: CdxComponent };
  components: CdxComponent[];
}

describe('eraser inventory on a containerd node', () => {
  test('JSON lists each image with its packages and a missing one as failed, exit 4', async () => {
    const app = await node.seedImage(appImage('cli-json', ['example.test/cli/app:1']));

    const r = await runInventory([
      '-r',
      node.endpoint,
      '-o',
      'json',
      'example.test/cli/app:1',
      'example.test/cli/absent:1',
    ]);

    assert.equal(r.code, 4, r.stderr);
    const report = parseReport(r.stdout);
    assert.deepEqual(report.totals, { images: 2, inventoried: 1, failed: 1, packages: 5 });
    assert.equal(report.images[0]?.id, app.id);
    assert.deepEqual(purls(report.images[0]), APP_PURLS);
    assert.equal(report.images[1]?.status, 'failed');
    assert.equal(report.images[1].error?.code, 'SOURCE_NOT_FOUND');
    assert.match(r.stderr, /example\.test\/cli\/absent:1 not inventoried: image .* is not in/);
  });

  test('CycloneDX 1.6: the image is the subject, its packages components with purls', async () => {
    const app = await node.seedImage(appImage('cli-cdx', ['example.test/cli/cdx:2']));

    const r = await runInventory([
      '-r',
      node.endpoint,
      '-o',
      'cyclonedx',
      'example.test/cli/cdx:2',
    ]);

    assert.equal(r.code, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as CdxBom;
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.serialNumber, `urn:uuid:${FIXED_UUID}`);
    assert.equal(bom.metadata.timestamp, '2025-03-01T00:00:00.000Z');
    const subject = bom.metadata.component;
    assert.equal(subject?.type, 'container');
    assert.equal(
      subject.purl,
      `pkg:oci/cdx@${app.manifestDigest}?repository_url=example.test%2Fcli%2Fcdx&tag=2`,
    );
    const libraries = bom.components.filter((c) => c.type === 'library');
    assert.deepEqual(libraries.map((c) => c.purl).sort(), APP_PURLS);
    const os = bom.components.find((c) => c.type === 'operating-system');
    assert.deepEqual([os?.name, os?.version], ['debian', '12']);
  });

  test('CycloneDX 1.5 nests the packages of several images under their containers', async () => {
    await node.seedImage(appImage('cli-cdx-a', ['example.test/cli/cdx-a:1']));
    await node.seedImage(appImage('cli-cdx-b', ['example.test/cli/cdx-b:1']));

    const r = await runInventory([
      '-r',
      node.endpoint,
      '-o',
      'cyclonedx',
      '--cyclonedx-version',
      '1.5',
      'example.test/cli/cdx-a:1',
      'example.test/cli/cdx-b:1',
    ]);

    assert.equal(r.code, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as CdxBom;
    assert.equal(bom.specVersion, '1.5');
    assert.equal(bom.metadata.component, undefined);
    assert.deepEqual(
      bom.components.map((c) => [c.type, c.name]),
      [
        ['container', 'example.test/cli/cdx-a:1'],
        ['container', 'example.test/cli/cdx-b:1'],
      ],
    );
    for (const image of bom.components) {
      const nested = (image.components ?? []).filter((c) => c.type === 'library');
      assert.deepEqual(nested.map((c) => c.purl).sort(), APP_PURLS);
    }
  });

  test('--all reads every image of the node once, the sandbox image included', async () => {
    const app = await node.seedImage(appImage('cli-all', ['example.test/cli/all:1']));

    const r = await runInventory(['-r', node.endpoint, '--all', '-o', 'json']);

    assert.equal(r.code, 0, r.stderr);
    const report = parseReport(r.stdout);
    const names = report.images.map((i) => i.image);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes('example.test/cli/all:1'));
    assert.ok(names.includes(node.sandboxImage));
    assert.equal(report.images.find((i) => i.id === app.id)?.image, 'example.test/cli/all:1');
  });

  test('a table names each image, its OS and one row per package', async () => {
    await node.seedImage(appImage('cli-table', ['example.test/cli/table:1']));

    const r = await runInventory(['-r', node.endpoint, 'example.test/cli/table:1']);

    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^IMAGE example\.test\/cli\/table:1 {2}sha256:\w{12} {2}linux\/amd64$/m);
    assert.match(r.stdout, /^ {2}Debian GNU\/Linux 12 \(bookworm\)$/m);
    assert.match(
      r.stdout,
      /^ {2}deb +libssl3 +3\.0\.11-1~deb12u2 +openssl +var\/lib\/dpkg\/status$/m,
    );
    assert.match(r.stdout, /^1 image: 1 inventoried, 0 failed, 5 packages$/m);
  });

  test('a progress bar is drawn on a terminal for several images, never otherwise', async () => {
    await node.seedImage(appImage('cli-bar', ['example.test/cli/bar:1']));
    const args = ['-r', node.endpoint, '-o', 'json', 'example.test/cli/bar:1', node.sandboxImage];

    const onTty = await runInventory(args, { tty: true });
    const piped = await runInventory(args, { tty: false });
    const single = await runInventory(['-r', node.endpoint, 'example.test/cli/bar:1'], {
      tty: true,
    });

    assert.match(onTty.stderr, /inventory \[.*\] 2\/2 images/);
    assert.equal(piped.stderr, '');
    assert.equal(single.stderr, '');
    assert.deepEqual(parseReport(onTty.stdout).totals, parseReport(piped.stdout).totals);
  });

  test('a cache folder answers a second run with the same report, reading no layer', async () => {
    await node.seedImage(appImage('cli-cache', ['example.test/cli/cache:1']));
    const cacheDir = join(dir, 'cache');
    const args = [
      '-r',
      node.endpoint,
      '--cache-dir',
      cacheDir,
      '--log-level',
      'info',
      '-o',
      'json',
    ];

    const cold = await runInventory([...args, 'example.test/cli/cache:1']);
    const warm = await runInventory([...args, 'example.test/cli/cache:1']);

    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(warm.stdout, cold.stdout);
    assert.deepEqual(cacheStats(cold.logs), { layers: [0, 2], images: [0, 1] });
    assert.deepEqual(cacheStats(warm.logs), { layers: [0, 0], images: [1, 0] });
    assert.deepEqual(purls(parseReport(warm.stdout).images[0]), APP_PURLS);
  });
});

interface CacheLine {
  readonly cache: {
    readonly hits: number;
    readonly misses: number;
    readonly images: { readonly hits: number; readonly misses: number };
  };
}

/** Layer and image [hits, misses] from the run's outcome log line. */
function cacheStats(logs: string): { layers: number[]; images: number[] } {
  const line = logs.split('\n').find((l) => l.includes('"msg":"inventory finished"'));
  const { cache } = JSON.parse(line ?? '{}') as CacheLine;
  return { layers: [cache.hits, cache.misses], images: [cache.images.hits, cache.images.misses] };
}

describe('eraser inventory from files', () => {
  let layoutDir: string;
  let archiveFile: string;

  before(async () => {
    const image = await buildImage(appImage('cli-files', ['example.test/cli/files:1']));
    const ociArchive = join(dir, 'files-oci.tar');
    await writeOciArchive(image, [], ociArchive);
    layoutDir = join(dir, 'layout');
    archiveFile = join(dir, 'docker.tar');
    const copy = ['--insecure-policy', 'copy', '--quiet', `oci-archive:${ociArchive}`];
    await run('skopeo', [...copy, `oci:${layoutDir}:files-1`]);
    await run('skopeo', [...copy, `docker-archive:${archiveFile}:example.test/cli/files:1`]);
  });

  test('an OCI layout written by skopeo reads by its ref name, or as its only image', async () => {
    for (const args of [
      ['--oci-layout', layoutDir, 'files-1'],
      ['--oci-layout', layoutDir],
    ]) {
      const r = await runInventory([...args, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const report = parseReport(r.stdout);
      assert.deepEqual(report.source, { kind: 'oci-layout', path: layoutDir });
      assert.deepEqual(purls(report.images[0]), APP_PURLS);
    }
  });

  test('a cached OCI layout run prints the report an uncached run prints', async () => {
    const args = ['--oci-layout', layoutDir, '-o', 'json', 'files-1'];
    const cached = [...args, '--cache-dir', join(dir, 'layout-cache'), '--log-level', 'info'];

    const plain = await runInventory(args);
    const cold = await runInventory(cached);
    const warm = await runInventory(cached);

    assert.equal(cold.stdout, plain.stdout);
    assert.equal(warm.stdout, plain.stdout);
    assert.deepEqual(cacheStats(warm.logs).images, [1, 0]);
  });

  test('a docker archive written by skopeo reads by its tag', async () => {
    const r = await runInventory([
      '--docker-archive',
      archiveFile,
      '-o',
      'json',
      'example.test/cli/files:1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(purls(parseReport(r.stdout).images[0]), APP_PURLS);
  });

  test('an image the layout does not hold fails alone, exit 4', async () => {
    const r = await runInventory(['--oci-layout', layoutDir, '-o', 'json', 'files-1', 'nope']);
    assert.equal(r.code, 4, r.stderr);
    assert.deepEqual(parseReport(r.stdout).totals, {
      images: 2,
      inventoried: 1,
      failed: 1,
      packages: 5,
    });
  });
});

describe('eraser inventory refusals', () => {
  test('a runtime that cannot be reached exits 3 and prints no report', async () => {
    const missing = `unix://${join(dir, 'no-such.sock')}`;
    const r = await runInventory(['-r', missing, 'example.test/cli/app:1']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no socket exists at that path/);
  });

  const usage: [what: string, args: string[], pattern: RegExp][] = [
    ['images and --all together', ['--all', 'a:1'], /name images or pass --all, not both/],
    ['nothing to read', [], /nothing to do/],
    ['a bad platform', ['--platform', 'linux', 'a:1'], /platform "linux" is invalid/],
    ['a bad namespace', ['-n', 'a/b', 'a:1'], /containerd namespace "a\/b" is invalid/],
    [
      'a folder that is no OCI layout',
      ['--oci-layout', '/proc/self'],
      /is not an OCI image layout/,
    ],
  ];
  for (const [what, args, pattern] of usage) {
    test(`${what} exits 2 with a message`, async () => {
      await mkdir(dir, { recursive: true });
      const r = await runInventory(['-r', node.endpoint, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});
