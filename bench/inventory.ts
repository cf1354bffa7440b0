/**
 * Inventory throughput, layer-cache effect and memory, on images shaped like real ones: a
 * Debian base layer with hundreds of dpkg packages, Python and Node runtime layers, and one
 * app layer per image with node_modules and Python packages. 20 images share the 3 base layers
 * and are written as one OCI layout in a temp folder.
 *
 * Each measured run is a child process (so its peak RSS is its own): without a cache, with an
 * empty cache (cold), and with the cache the cold run filled (warm). Prints images per second,
 * the warm/cold time ratio (target <= 0.1) and peak RSS (target <= 256 MiB). No assertions:
 * timings depend on the machine.
 *
 *   node --import tsx bench/inventory.ts [--images N]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { inventoryAll } from '../src/cli/inventory-run.js';
import { silentLogger } from '../src/logger.js';
import { openLayerCache } from '../src/scanner/cache.js';
import { OciLayoutSource } from '../src/scanner/sources/index.js';
import {
  imageOf,
  indexEntry,
  layerBlob,
  writeLayout,
  type Blob,
  type LayerBlob,
} from '../src/scanner/sources/testing/fixtures.js';
import type { TarEntry } from '../src/scanner/testing/layers.js';

const SELF = fileURLToPath(import.meta.url);
const CONCURRENCY = 2;

/** Reproducible filler bytes that do not compress (a sha256 chain). */
function filler(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < length; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function dpkgStanza(i: number): string {
  return [
    `Package: libbench${i}`,
    'Status: install ok installed',
    'Priority: optional',
    'Section: libs',
    `Installed-Size: ${100 + i}`,
    'Maintainer: Bench Maintainers <bench@example.org>',
    'Architecture: amd64',
    'Multi-Arch: same',
    `Source: bench-src${i % 97} (1.${i % 13}.${i % 7}-1)`,
    `Version: 1.${i % 13}.${i % 7}-1+b${i % 3}`,
    'Depends: libc6 (>= 2.34)',
    `Description: benchmark library number ${i}`,
    ' A package of the generated Debian base layer, present to give the dpkg',
    ' database a realistic size and shape.',
    '',
  ].join('\n');
}

/** Debian base: os-release, a dpkg database of `count` packages, their docs and libraries. */
function debianBase(count: number): TarEntry[] {
  const status = Array.from({ length: count }, (_, i) => dpkgStanza(i)).join('\n');
  return [
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian 12"\n' },
    { path: 'var/lib/dpkg/status', content: status },
    ...Array.from({ length: count }, (_, i): TarEntry[] => [
      { path: `usr/share/doc/libbench${i}/copyright`, content: `Copyright ${i}\n`.repeat(80) },
      { path: `usr/lib/x86_64-linux-gnu/libbench${i}.so.1`, content: filler(`so${i}`, 32 * 1024) },
    ]).flat(),
  ];
}

function pythonPackages(prefix: string, count: number, seed: string): TarEntry[] {
  return Array.from({ length: count }, (_, i): TarEntry[] => {
    const name = `${seed}-py${i}`;
    const metadata = `Metadata-Version: 2.1\nName: ${name}\nVersion: 2.${i}.0\nSummary: bench\n`;
    return [
      {
        path: `${prefix}/${name.replace(/-/g, '_')}-2.${i}.0.dist-info/METADATA`,
        content: metadata,
      },
      {
        path: `${prefix}/${name.replace(/-/g, '_')}/__init__.py`,
        content: filler(name, 16 * 1024),
      },
    ];
  }).flat();
}

function nodeModules(prefix: string, count: number, seed: string): TarEntry[] {
  return Array.from({ length: count }, (_, i): TarEntry[] => {
    const name = `${seed}-mod${i}`;
    const manifest = JSON.stringify({ name, version: `3.${i % 20}.${i % 5}`, main: 'index.js' });
    return [
      { path: `${prefix}/node_modules/${name}/package.json`, content: manifest },
      { path: `${prefix}/node_modules/${name}/index.js`, content: filler(name, 4 * 1024) },
    ];
  }).flat();
}

interface Generated {
  readonly blobs: Blob[];
  readonly manifests: ReturnType<typeof indexEntry>;
  readonly bytes: number;
}

async function generate(imageCount: number): Promise<Generated> {
  const base = await layerBlob(debianBase(400));
  const python = await layerBlob(pythonPackages('usr/lib/python3/dist-packages', 80, 'runtime'));
  const node = await layerBlob(nodeModules('usr/lib', 150, 'npm'));

  const blobs: Blob[] = [base, python, node];
  const manifests = [];
  for (let i = 0; i < imageCount; i++) {
    const app = await layerBlob([
      ...nodeModules(`srv/app${i}`, 200, `app${i}`),
      ...pythonPackages(`srv/app${i}/venv/lib/python3.11/site-packages`, 20, `app${i}`),
    ]);
    const runtimes: LayerBlob[] = i % 5 === 0 ? [python, node] : i % 2 === 0 ? [python] : [node];
    const image = imageOf([base, ...runtimes, app]);
    blobs.push(app, image.config, image.manifest);
    manifests.push(...indexEntry(image.manifest, { names: [`bench/app-${i}:1`] }));
  }
  const bytes = new Map(blobs.map((b) => [b.descriptor.digest, b.bytes.length]));
  return { blobs, manifests, bytes: [...bytes.values()].reduce((a, b) => a + b, 0) };
}

interface RunResult {
  readonly images: number;
  readonly failed: number;
  readonly packages: number;
  readonly seconds: number;
  readonly maxRssKiB: number;
  readonly hits?: number;
  readonly misses?: number;
}

/** The measured part, in a child process: inventory every image of the layout. */
async function child(layoutDir: string, cacheDir: string | undefined): Promise<void> {
  const layout = await OciLayoutSource.open(layoutDir);
  const cache = cacheDir === undefined ? undefined : await openLayerCache({ dir: cacheDir });
  const targets = layout.entries.map((entry) => ({
    name: entry.name,
    resolve: () => layout.resolve(entry),
  }));

  const started = performance.now();
  const results = await inventoryAll(targets, {
    concurrency: CONCURRENCY,
    clock: () => new Date('2025-03-01T00:00:00Z'),
    logger: silentLogger(),
    signal: new AbortController().signal,
    ...(cache === undefined ? {} : { readLayer: cache.readLayer }),
  });
  const seconds = (performance.now() - started) / 1000;
  await cache?.close();

  const done = results.filter((r) => r.status === 'inventoried');
  const result: RunResult = {
    images: results.length,
    failed: results.length - done.length,
    packages: done.reduce((sum, r) => sum + r.inventory.packages.length, 0),
    seconds,
    maxRssKiB: process.resourceUsage().maxRSS,
    ...(cache === undefined ? {} : { hits: cache.stats().hits, misses: cache.stats().misses }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(layoutDir: string, cacheDir: string | undefined): Promise<RunResult> {
  const args = [
    '--import',
    'tsx',
    SELF,
    '--child',
    layoutDir,
    ...(cacheDir === undefined ? [] : [cacheDir]),
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`benchmark child failed: ${stderr || err.message}`));
        return;
      }
      resolve(JSON.parse(stdout) as RunResult);
    });
  });
}

const MiB = 1024 * 1024;

function line(label: string, r: RunResult): string {
  const rate = (r.images / r.seconds).toFixed(1);
  const rss = (r.maxRssKiB / 1024).toFixed(0);
  const cache = r.hits === undefined ? '' : `  cache hits ${r.hits}, misses ${r.misses ?? 0}`;
  const time = `${r.seconds.toFixed(2).padStart(6)} s  ${rate.padStart(6)} images/s`;
  const memory = `peak RSS ${rss.padStart(4)} MiB`;
  return `${label.padEnd(12)} ${time}  ${memory}  ${r.packages} packages${cache}`;
}

async function main(): Promise<void> {
  const countFlag = process.argv.indexOf('--images');
  const count = countFlag < 0 ? 20 : Number(process.argv[countFlag + 1]);
  if (!Number.isSafeInteger(count) || count < 1 || count > 500) {
    throw new Error(
      `--images expects a whole number from 1 to 500, got ${String(process.argv[countFlag + 1])}`,
    );
  }

  const dir = await mkdtemp(join(tmpdir(), 'eraser-bench-inventory-'));
  try {
    const started = performance.now();
    const generated = await generate(count);
    const layoutDir = join(dir, 'layout');
    await writeLayout(layoutDir, generated.blobs, generated.manifests);
    const genSeconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `${count} images, 3 shared base layers, ${(generated.bytes / MiB).toFixed(1)} MiB of blobs ` +
        `(generated in ${genSeconds} s); concurrency ${CONCURRENCY}\n\n`,
    );

    const none = await runChild(layoutDir, undefined);
    const cold = await runChild(layoutDir, join(dir, 'cache'));
    const warm = await runChild(layoutDir, join(dir, 'cache'));
    for (const [label, r] of [
      ['no cache', none],
      ['cold cache', cold],
      ['warm cache', warm],
    ] as const) {
      process.stdout.write(`${line(label, r)}\n`);
      if (r.failed > 0) process.stdout.write(`  ${r.failed} images failed\n`);
    }

    const ratio = warm.seconds / cold.seconds;
    const peak = Math.max(none.maxRssKiB, cold.maxRssKiB, warm.maxRssKiB) / 1024;
    process.stdout.write(
      `\nwarm/cold time ratio ${ratio.toFixed(3)} (target <= 0.1; warm/no-cache ` +
        `${(warm.seconds / none.seconds).toFixed(3)})\n` +
        `peak RSS ${peak.toFixed(0)} MiB (target <= 256 MiB; includes Node and tsx, ` +
        'about 75 MiB before any work)\n',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [layoutDir, cacheDir] = process.argv.slice(3);
  if (layoutDir === undefined) throw new Error('--child needs the layout folder');
  await child(layoutDir, cacheDir);
} else {
  await main();
}
