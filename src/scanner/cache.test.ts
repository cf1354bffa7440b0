import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { createLogger, type Logger } from '../logger.js';
import { dpkgAnalyzer } from './analyzers/dpkg.js';
import { CACHE_FORMAT, openLayerCache, type LayerCache, type LayerCacheOptions } from './cache.js';
import { buildInventory, type InventoryOptions } from './inventory.js';
import { resolveLimits } from './limits.js';
import { gzip, imageOf, layerSource, sha256, tarLayer, type TarEntry } from './testing/layers.js';
import type { ImageSource, Inventory, LayerSource } from './types.js';

const clock = (): Date => new Date('2025-03-01T00:00:00Z');

const RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

function dpkgStatus(...names: string[]): string {
  const entry = (name: string): string =>
    `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n`;
  return names.map(entry).join('\n');
}

const BASE: TarEntry[] = [
  { path: 'usr/lib/os-release', content: RELEASE },
  { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
  { path: 'var/lib/dpkg/status', content: dpkgStatus('libc6', 'tzdata') },
  { path: 'app/node_modules/old/package.json', content: '{"name":"old","version":"1.0.0"}' },
];

function appLayer(name: string): TarEntry[] {
  return [
    { path: 'app/node_modules/.wh..wh..opq', content: '' },
    { path: `app/node_modules/${name}/package.json`, content: `{"name":"${name}","version":"2"}` },
    { path: 'var/lib/dpkg/.wh.status', content: '' },
    { path: '../escape', content: 'x' },
  ];
}

/** A temporary cache folder, removed after the test. */
async function cacheDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eraser-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Wraps an image so that every `open()` of a layer blob is counted by digest. */
function counted(image: ImageSource): { image: ImageSource; opens: Map<string, number> } {
  const opens = new Map<string, number>();
  const layers = image.layers.map((layer) => countOpens(layer, opens));
  return { image: { ...image, layers }, opens };
}

function countOpens(layer: LayerSource, opens: Map<string, number>): LayerSource {
  return {
    digest: layer.digest,
    mediaType: layer.mediaType,
    open: () => {
      opens.set(layer.digest, (opens.get(layer.digest) ?? 0) + 1);
      return layer.open();
    },
  };
}

function total(opens: Map<string, number>): number {
  return [...opens.values()].reduce((sum, n) => sum + n, 0);
}

async function scan(
  image: ImageSource,
  cache: LayerCache | undefined,
  extra: Partial<InventoryOptions> = {},
): Promise<{ inventory: Inventory; opens: number }> {
  const wrapped = counted(image);
  const reader = cache === undefined ? {} : { readLayer: cache.readLayer };
  const inventory = await buildInventory(wrapped.image, { clock, ...reader, ...extra });
  return { inventory, opens: total(wrapped.opens) };
}

/** Opens a cache, runs `use`, closes it: each call acts like a separate run of the CLI. */
async function withCache<T>(
  options: LayerCacheOptions,
  use: (cache: LayerCache) => Promise<T>,
): Promise<T> {
  const cache = await openLayerCache(options);
  try {
    return await use(cache);
  } finally {
    await cache.close();
  }
}

async function layerFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.layer')).map((n) => join(dir, n));
}

type LogLine = Record<string, unknown>;

/** A logger whose lines are kept for assertions. */
function capturedLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => lines.push(JSON.parse(line) as LogLine),
  });
  return { logger, lines };
}

function logged(lines: readonly LogLine[], message: RegExp): LogLine[] {
  return lines.filter((line) => message.test(String(line['msg'])));
}

describe('layer cache', () => {
  test('a later run answers every layer from the folder with the same inventory', async (t) => {
    const dir = await cacheDir(t);
    const image = await imageOf('example.test/app:1', [BASE, appLayer('left-pad')]);
    const plain = await scan(image, undefined);

    const first = await withCache({ dir }, async (cache) => {
      const result = await scan(image, cache);
      assert.deepEqual(cache.stats(), { ...cache.stats(), hits: 0, misses: 2, entries: 2 });
      return result;
    });
    const second = await withCache({ dir }, async (cache) => {
      const result = await scan(image, cache);
      assert.equal(cache.stats().hits, 2);
      assert.equal(cache.stats().misses, 0);
      return result;
    });

    assert.equal(first.opens, 2);
    assert.equal(second.opens, 0);
    assert.deepEqual(first.inventory, plain.inventory);
    assert.deepEqual(second.inventory, plain.inventory);
    assert.ok(plain.inventory.warnings.some((w) => w.code === 'SCAN_PATH_TRAVERSAL'));
  });

  test('two images sharing a base layer read it once, in turn or at the same time', async (t) => {
    for (const concurrent of [false, true]) {
      const dir = await cacheDir(t);
      const a = counted(await imageOf('example.test/a:1', [BASE, appLayer('a')]));
      const b = counted(await imageOf('example.test/b:1', [BASE, appLayer('b')]));
      const baseDigest = a.image.layers[0]?.digest ?? '';

      await withCache({ dir }, async (cache) => {
        const options = { clock, readLayer: cache.readLayer };
        if (concurrent) {
          await Promise.all([buildInventory(a.image, options), buildInventory(b.image, options)]);
        } else {
          await buildInventory(a.image, options);
          await buildInventory(b.image, options);
        }
        const opens = (a.opens.get(baseDigest) ?? 0) + (b.opens.get(baseDigest) ?? 0);
        assert.equal(opens, 1, `concurrent: ${concurrent}`);
        assert.deepEqual([cache.stats().hits, cache.stats().misses], [1, 3]);
      });
    }
  });

  test('a tar compressed otherwise is a hit with its own digest and compression', async (t) => {
    const dir = await cacheDir(t);
    const tar = await tarLayer(BASE);
    const plain = layerSource(tar);
    const zipped = counted({ name: 'z', layers: [layerSource(gzip(tar))] });
    const zippedLayer = zipped.image.layers[0];
    assert.ok(zippedLayer !== undefined);
    const options = { image: 'x', wants: () => true, limits: resolveLimits() };

    await withCache({ dir }, async (cache) => {
      const first = await cache.readLayer(plain, { ...options, expectedDiffId: sha256(tar) });
      const second = await cache.readLayer(zippedLayer, {
        ...options,
        expectedDiffId: sha256(tar),
      });
      assert.equal(second.digest, zippedLayer.digest);
      assert.equal(second.compression, 'gzip');
      assert.deepEqual(second.files, first.files);
      assert.deepEqual([cache.stats().hits, cache.stats().misses], [1, 1]);
    });
  });

  test('two caches open on one folder, as two processes, answer from each other', async (t) => {
    const dir = await cacheDir(t);
    const image = await imageOf('example.test/app:1', [BASE, appLayer('x')]);
    const [one, two] = [await openLayerCache({ dir }), await openLayerCache({ dir })];
    t.after(() => Promise.all([one.close(), two.close()]));

    const first = await scan(image, one);
    const second = await scan(image, two);
    assert.deepEqual([first.opens, second.opens], [2, 0]);
    assert.deepEqual(second.inventory, first.inventory);
  });

  test('layers without config diff IDs are found through the digest index', async (t) => {
    const dir = await cacheDir(t);
    const withConfig = await imageOf('example.test/app:1', [BASE, appLayer('x')]);
    const image: ImageSource = { name: withConfig.name, layers: withConfig.layers };

    const first = await withCache({ dir }, (cache) => scan(image, cache));
    const second = await withCache({ dir }, (cache) => scan(image, cache));
    assert.equal(first.opens, 2);
    assert.equal(second.opens, 0);
    assert.deepEqual(second.inventory, first.inventory);
  });

  const damages: [string, (file: string) => Promise<void>][] = [
    ['random bytes', (file) => writeFile(file, Buffer.from('\u0000garbage, not an entry'))],
    ['a truncated entry', async (file) => truncate(file, (await readFile(file)).length - 10)],
    [
      'a tampered payload',
      async (file) => {
        const data = await readFile(file);
        const at = data.indexOf('libc6');
        if (at >= 0) data.write('libcX', at, 'latin1');
        else data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 1;
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
    ['a 4 GiB sparse file', (file) => truncate(file, 4 * 1024 ** 3)],
  ];
  for (const [damage, apply] of damages) {
    test(`an entry damaged by ${damage} is deleted, read as a miss and replaced`, async (t) => {
      const dir = await cacheDir(t);
      const image = await imageOf('example.test/app:1', [BASE, appLayer('x')]);
      const first = await withCache({ dir }, (cache) => scan(image, cache));
      const { logger, lines } = capturedLogger();

      const second = await withCache({ dir, logger }, async (cache) => {
        for (const file of await layerFiles(dir)) await apply(file);
        return scan(image, cache);
      });
      const third = await withCache({ dir }, (cache) => scan(image, cache));

      assert.equal(second.opens, 2);
      assert.deepEqual(second.inventory, first.inventory);
      assert.equal(third.opens, 0);
      const invalid = logged(lines, /invalid/);
      assert.equal(invalid.length, 2);
      assert.ok(invalid.every((line) => line['level'] === 40));
    });
  }

  test('eviction keeps the most recently used entries within the bound', async (t) => {
    const dir = await cacheDir(t);
    let now = Date.parse('2025-01-01T00:00:00Z');
    const tick = (): Date => new Date((now += 60_000));
    const layers = await Promise.all(['a', 'b', 'c'].map((name) => statusLayer(name, 10_000)));
    const [a, b, c] = layers.map((layer) => layer.source);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    const read = (cache: LayerCache, layer: LayerSource): Promise<unknown> =>
      cache.readLayer(layer, readOptions(layers, layer));

    await withCache({ dir, maxBytes: 25_000, clock: tick }, async (cache) => {
      await read(cache, a);
      await read(cache, b);
      await read(cache, a);
      await read(cache, c);
      assert.ok(cache.stats().bytes <= 25_000);
      assert.equal(cache.stats().entries, 2);
    });

    const opens = new Map<string, number>();
    await withCache({ dir, maxBytes: 25_000, clock: tick }, async (cache) => {
      for (const layer of [a, c, b]) await read(cache, countOpens(layer, opens));
    });
    assert.deepEqual(
      [a, b, c].map((layer) => opens.get(layer.digest) ?? 0),
      [0, 1, 0],
    );
  });

  test('an entry larger than the bound is not stored', async (t) => {
    const dir = await cacheDir(t);
    const layers = [await statusLayer('big', 10_000)];
    const opens = new Map<string, number>();
    const layer = countOpens(layers[0]?.source ?? assert.fail(), opens);

    await withCache({ dir, maxBytes: 5_000 }, async (cache) => {
      await cache.readLayer(layer, readOptions(layers, layer));
      await cache.readLayer(layer, readOptions(layers, layer));
      const images = { hits: 0, misses: 0, entries: 0 };
      assert.deepEqual(cache.stats(), { hits: 0, misses: 2, bytes: 0, entries: 0, images });
    });
    assert.equal(opens.get(layer.digest), 2);
  });

  test('another analyser set or file limit misses rather than read stale entries', async (t) => {
    const dir = await cacheDir(t);
    const image = await imageOf('example.test/app:1', [BASE, appLayer('x')]);
    const dpkgOnly = { analyzers: [dpkgAnalyzer] };

    const narrow = await withCache({ dir, ...dpkgOnly }, (cache) => scan(image, cache, dpkgOnly));
    const full = await withCache({ dir }, (cache) => scan(image, cache));
    const limits = { maxFileBytes: 100 };
    const limited = await withCache({ dir }, (cache) => scan(image, cache, { limits }));
    const again = await withCache({ dir }, (cache) => scan(image, cache));

    assert.deepEqual([narrow.opens, full.opens, limited.opens, again.opens], [2, 2, 2, 0]);
    assert.ok(full.inventory.packages.some((p) => p.ecosystem === 'npm'));
    assert.ok(!narrow.inventory.packages.some((p) => p.ecosystem === 'npm'));
  });

  test('a cache folder that disappears costs only the caching', async (t) => {
    const dir = await cacheDir(t);
    const image = await imageOf('example.test/app:1', [BASE, appLayer('x')]);
    const plain = await scan(image, undefined);
    const { logger, lines } = capturedLogger();

    const result = await withCache({ dir, logger }, async (cache) => {
      await rm(dir, { recursive: true });
      return scan(image, cache);
    });
    assert.deepEqual(result.inventory, plain.inventory);
    const failed = logged(lines, /writing the entry failed/);
    assert.equal(failed.length, 2);
    assert.ok(failed.every((line) => line['level'] === 40 && line['err'] !== undefined));
  });

  test('an aborted scan fails even when the layer is cached', async (t) => {
    const dir = await cacheDir(t);
    const image = await imageOf('example.test/app:1', [BASE]);
    await withCache({ dir }, (cache) => scan(image, cache));

    const signal = AbortSignal.abort();
    await withCache({ dir }, async (cache) => {
      await assert.rejects(scan(image, cache, { signal }), { code: 'SCAN_ABORTED' });
    });
  });

  test('a closed cache refuses reads', async (t) => {
    const cache = await openLayerCache({ dir: await cacheDir(t) });
    await cache.close();
    const image = await imageOf('example.test/app:1', [BASE]);
    await assert.rejects(scan(image, cache), { code: 'CACHE_CLOSED' });
  });

  test('opening refuses a bound that is not a byte count, or a file for a folder', async (t) => {
    const dir = await cacheDir(t);
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(openLayerCache({ dir, maxBytes }), { code: 'CACHE_BAD_OPTIONS' });
    }
    const file = join(dir, 'file');
    await writeFile(file, '');
    await assert.rejects(openLayerCache({ dir: file }), { code: 'CACHE_UNUSABLE' });
  });

  test('temporary files left by dead writers are removed, recent ones are kept', async (t) => {
    const dir = await cacheDir(t);
    const now = new Date('2025-01-01T12:00:00Z');
    await writeFile(join(dir, 'old.tmp'), 'x');
    await utimes(
      join(dir, 'old.tmp'),
      new Date('2025-01-01T10:00:00Z'),
      new Date('2025-01-01T10:00:00Z'),
    );
    await writeFile(join(dir, 'new.tmp'), 'x');
    await utimes(join(dir, 'new.tmp'), now, now);

    await withCache({ dir, clock: () => now }, () => Promise.resolve());
    assert.deepEqual((await readdir(dir)).sort(), ['new.tmp']);
  });
});

interface TestLayer {
  readonly source: LayerSource;
  readonly diffId: string;
}

/** A one-file layer: a dpkg status of about `size` bytes, distinct per name. */
async function statusLayer(name: string, size: number): Promise<TestLayer> {
  const content = `Package: ${name}\nDescription: ${name.repeat(size)}`.slice(0, size);
  const tar = await tarLayer([{ path: 'var/lib/dpkg/status', content }]);
  return { source: layerSource(tar), diffId: sha256(tar) };
}

function readOptions(
  layers: readonly TestLayer[],
  layer: LayerSource,
): {
  image: string;
  wants: (path: string) => boolean;
  limits: ReturnType<typeof resolveLimits>;
  expectedDiffId: string;
} {
  const diffId = layers.find((l) => l.source.digest === layer.digest)?.diffId ?? assert.fail();
  return { image: 'x', wants: () => true, limits: resolveLimits(), expectedDiffId: diffId };
}
