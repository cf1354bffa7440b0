import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { createLogger, type Logger } from '../logger.js';
import { DEFAULT_ANALYZERS, type Analyzer } from './analyzers/index.js';
import { dpkgAnalyzer } from './analyzers/dpkg.js';
import { CACHE_FORMAT, openLayerCache, type CachedImage, type LayerCache } from './cache.js';
import { buildInventory, type InventoryOptions } from './inventory.js';
import { imageOf, sha256, type TarEntry } from './testing/layers.js';
import { encodeRpmHeader, encodeSqliteDb } from './testing/rpm.js';
import type { Inventory, LayerSource } from './types.js';

const MARCH_2025 = new Date('2025-03-01T00:00:00Z');
const clock = (): Date => MARCH_2025;

function dpkgStatus(...names: string[]): string {
  const entry = (name: string): string =>
    `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\n` +
    `Source: ${name}-src (1.0)\nVersion: 1.0-1\n`;
  return names.map(entry).join('\n');
}

const DEBIAN: TarEntry[][] = [
  [
    { path: 'usr/lib/os-release', content: 'PRETTY_NAME="Debian 11"\nID=debian\nVERSION_ID=11\n' },
    { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { path: 'var/lib/dpkg/status', content: dpkgStatus('libc6', 'tzdata') },
    { path: 'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', content: PY('six') },
  ],
  [
    {
      path: 'app/node_modules/left-pad/package.json',
      content: '{"name":"left-pad","version":"1"}',
    },
    { path: 'app/node_modules/bad/package.json', content: '{"name":' },
    { path: '../escape', content: 'x' },
  ],
];

function PY(name: string): string {
  return `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.16.0\n`;
}

const ALPINE: TarEntry[][] = [
  [
    { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.9\n' },
    { path: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.3-r3\nA:x86_64\no:musl\n\nP:x\nV:1\n' },
  ],
];

const RPM: TarEntry[][] = [
  [
    { path: 'etc/os-release', content: 'ID="rhel"\nVERSION_ID="9.3"\nNAME="RHEL"\n' },
    {
      path: 'var/lib/rpm/rpmdb.sqlite',
      content: encodeSqliteDb([
        encodeRpmHeader({
          name: 'openssl-libs',
          version: '3.0.7',
          release: '27.el9',
          epoch: 1,
          arch: 'x86_64',
          sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
        }),
        encodeRpmHeader({ name: 'noarch', version: '1', release: '1' }),
      ]),
    },
  ],
];

const NO_OS: TarEntry[][] = [
  [
    { path: 'etc/os-release', type: 'symlink', linkname: 'loop' },
    { path: 'etc/loop', type: 'symlink', linkname: 'os-release' },
    { path: 'n/node_modules/good/package.json', content: '{"name":"good","version":"1.0.0"}' },
  ],
];

/** An image as a source resolves it: its ID is its config digest, plus a manifest digest. */
async function resolved(name: string, layers: readonly (readonly TarEntry[])[]) {
  const image = await imageOf(name, layers);
  const config = Buffer.from(typeof image.config === 'string' ? image.config : '');
  const manifestDigest = sha256(Buffer.from(`manifest of ${name}`));
  return { ...image, id: sha256(config), manifestDigest } satisfies CachedImage;
}

async function cacheDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eraser-inventory-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What a run did: layer blobs opened and analyser runs, counted across the image. */
interface Work {
  opens: number;
  analyses: number;
}

/** The image with every layer open counted, and analysers that count their runs. */
function instrumented(
  image: CachedImage,
  work: Work,
): { image: CachedImage; analyzers: Analyzer[] } {
  const layers = image.layers.map((layer): LayerSource => ({
    digest: layer.digest,
    mediaType: layer.mediaType,
    open: () => {
      work.opens += 1;
      return layer.open();
    },
  }));
  const analyzers = DEFAULT_ANALYZERS.map((analyzer) => ({
    ...analyzer,
    analyze: (context: Parameters<Analyzer['analyze']>[0]) => {
      work.analyses += 1;
      return analyzer.analyze(context);
    },
  }));
  return { image: { ...image, layers }, analyzers };
}

/** One CLI-like run: opens the cache, inventories the image through it, closes the cache. */
async function run(
  dir: string,
  image: CachedImage,
  extra: Partial<InventoryOptions> = {},
  logger?: Logger,
): Promise<{ inventory: Inventory; work: Work; stats: ReturnType<LayerCache['stats']> }> {
  const work: Work = { opens: 0, analyses: 0 };
  const counted = instrumented(image, work);
  const cache = await openLayerCache({ dir, ...(logger === undefined ? {} : { logger }) });
  try {
    const options = { clock, analyzers: counted.analyzers, ...extra };
    const inventory = await cache.buildInventory(counted.image, options);
    return { inventory, work, stats: cache.stats() };
  } finally {
    await cache.close();
  }
}

/** The inventory of a plain scan, without any cache, with the same analysers as `run`. */
async function plain(image: CachedImage, extra: Partial<InventoryOptions> = {}) {
  const counted = instrumented(image, { opens: 0, analyses: 0 });
  return buildInventory(counted.image, { clock, analyzers: counted.analyzers, ...extra });
}

function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

async function inventoryFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.inv')).map((n) => join(dir, n));
}

describe('inventory cache', () => {
  const images: [string, TarEntry[][]][] = [
    ['Debian with dpkg, npm, Python and warnings', DEBIAN],
    ['Alpine past its end of life', ALPINE],
    ['rpm with epochs and a package without arch', RPM],
    ['no OS and a warning without layer or path', NO_OS],
  ];
  for (const [what, layers] of images) {
    test(`a later run answers ${what} with no layer read and no analyser run`, async (t) => {
      const dir = await cacheDir(t);
      const image = await resolved('example.test/app:1', layers);
      const expected = JSON.stringify(await plain(image));

      const cold = await run(dir, image);
      const warm = await run(dir, image);

      assert.equal(JSON.stringify(cold.inventory), expected);
      assert.equal(JSON.stringify(warm.inventory), expected);
      assert.ok(cold.work.opens > 0 && cold.work.analyses > 0);
      assert.deepEqual(warm.work, { opens: 0, analyses: 0 });
      assert.deepEqual(cold.stats.images, { hits: 0, misses: 1, entries: 1 });
      assert.deepEqual(warm.stats.images, { hits: 1, misses: 0, entries: 1 });
      assert.deepEqual([warm.stats.hits, warm.stats.misses], [0, 0]);
    });
  }

  test('end-of-life verdicts are judged at the clock of the run reading the entry', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/debian:11', DEBIAN);
    const later = { clock: () => new Date('2027-01-01T00:00:00Z') };

    const stored = await run(dir, image);
    const warm = await run(dir, image, later);

    assert.deepEqual(stored.inventory.os?.eol, { date: '2026-08-31', pastEol: false });
    assert.deepEqual(warm.inventory.os?.eol, { date: '2026-08-31', pastEol: true });
    assert.equal(warm.stats.images.hits, 1);
    assert.equal(JSON.stringify(warm.inventory), JSON.stringify(await plain(image, later)));
  });

  test('whatever the result depends on is in the key: a change misses', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/app:1', DEBIAN);
    await run(dir, image);
    const withoutManifest: CachedImage & { manifestDigest?: string } = { ...image };
    delete withoutManifest.manifestDigest;

    const changes: [string, CachedImage, Partial<InventoryOptions>][] = [
      ['another name', { ...image, name: 'example.test/app:2' }, {}],
      ['another image ID', { ...image, id: sha256(Buffer.from('other config')) }, {}],
      ['another manifest', { ...image, manifestDigest: sha256(Buffer.from('other')) }, {}],
      ['no manifest digest', withoutManifest, {}],
      ['another package limit', image, { limits: { maxPackagesPerDb: 1 } }],
      ['another symlink hop limit', image, { limits: { maxSymlinkHops: 1 } }],
      ['another analyser set', image, { analyzers: [dpkgAnalyzer] }],
    ];
    for (const [what, changed, options] of changes) {
      const result = await run(dir, changed, options);
      assert.deepEqual(result.stats.images, { ...result.stats.images, hits: 0, misses: 1 }, what);
      assert.equal(JSON.stringify(result.inventory), JSON.stringify(await plain(changed, options)));
    }
    assert.equal((await run(dir, image)).stats.images.hits, 1);
  });

  const damages: [string, (file: string, dir: string) => Promise<void>][] = [
    ['random bytes', (file) => writeFile(file, Buffer.from('\u0000garbage, not an entry'))],
    ['a truncated entry', async (file) => truncate(file, (await readFile(file)).length - 10)],
    [
      'a tampered payload',
      async (file) => {
        const data = await readFile(file);
        data.write('leftXpad', data.indexOf('left-pad'), 'latin1');
        await writeFile(file, data);
      },
    ],
    [
      'another format version',
      async (file) => {
        const data = await readFile(file);
        data.writeUInt32BE(CACHE_FORMAT + 1, 8);
        await writeFile(file, data);
      },
    ],
    [
      'a layer entry in its place',
      async (file, dir) => {
        const layer = (await readdir(dir)).find((name) => name.endsWith('.layer')) ?? '';
        await writeFile(file, await readFile(join(dir, layer)));
      },
    ],
  ];
  for (const [damage, apply] of damages) {
    test(`an inventory entry damaged by ${damage} is deleted and rebuilt`, async (t) => {
      const dir = await cacheDir(t);
      const image = await resolved('example.test/app:1', DEBIAN);
      const first = await run(dir, image);
      for (const file of await inventoryFiles(dir)) await apply(file, dir);
      const { logger, lines } = capturedLogger();

      const second = await run(dir, image, {}, logger);
      const third = await run(dir, image);

      assert.equal(JSON.stringify(second.inventory), JSON.stringify(first.inventory));
      assert.deepEqual(second.stats.images, { hits: 0, misses: 1, entries: 1 });
      assert.equal(second.work.opens, 0, 'its layers still come from the cache');
      assert.ok(second.work.analyses > 0);
      const invalid = lines.filter((line) => /entry invalid/.test(String(line['msg'])));
      assert.equal(invalid.length, 1);
      assert.equal(invalid[0]?.['level'], 40);
      assert.equal(third.stats.images.hits, 1);
    });
  }

  test('the entry of another image copied under this name is refused', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/app:1', DEBIAN);
    const other = await resolved('example.test/other:1', ALPINE);
    await run(dir, image);
    const [mine] = await inventoryFiles(dir);
    await run(dir, other);
    const theirs = (await inventoryFiles(dir)).find((file) => file !== mine);
    assert.ok(mine !== undefined && theirs !== undefined);
    await writeFile(mine, await readFile(theirs));

    const result = await run(dir, image);
    assert.equal(result.stats.images.misses, 1);
    assert.equal(result.inventory.image, 'example.test/app:1');
    assert.equal(JSON.stringify(result.inventory), JSON.stringify(await plain(image)));
  });

  test('failed inventories are not stored', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/app:1', DEBIAN);
    const wrongDiffIds = { ...image, config: { rootfs: { type: 'layers', diff_ids: ['x', 'y'] } } };
    const mismatch = { code: 'SCAN_BAD_CONFIG' };

    await assert.rejects(run(dir, wrongDiffIds), mismatch);
    await assert.rejects(run(dir, wrongDiffIds), mismatch);
    assert.deepEqual(await inventoryFiles(dir), []);
  });

  test('an aborted run fails even when the image is cached', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/app:1', DEBIAN);
    await run(dir, image);
    const signal = AbortSignal.abort();
    await assert.rejects(run(dir, image, { signal }), { code: 'SCAN_ABORTED' });
  });

  test('a closed cache refuses to inventory', async (t) => {
    const cache = await openLayerCache({ dir: await cacheDir(t) });
    await cache.close();
    const image = await resolved('example.test/app:1', DEBIAN);
    await assert.rejects(cache.buildInventory(image, { clock }), { code: 'CACHE_CLOSED' });
  });

  test('a hit logs the same outcome line as a scan, marked as cached', async (t) => {
    const dir = await cacheDir(t);
    const image = await resolved('example.test/app:1', DEBIAN);
    const cold = capturedLogger();
    const warm = capturedLogger();
    await run(dir, image, { logger: cold.logger });
    await run(dir, image, { logger: warm.logger });

    const outcome = (lines: Record<string, unknown>[]): Record<string, unknown> => {
      const line = lines.find((l) => l['msg'] === 'inventoried') ?? assert.fail('no outcome');
      return { ...line, time: 0 };
    };
    const [coldLine, warmLine] = [outcome(cold.lines), outcome(warm.lines)];
    assert.deepEqual(warmLine, { ...coldLine, cached: true });
  });
});
