/**
 * Inventory throughput, cache effect and memory, on images shaped like real ones: a Debian base
 * layer with hundreds of dpkg packages, Python and Node runtime layers, and one app layer per
 * image with node_modules and Python packages. 20 images share the 3 base layers and are
 * written as one OCI layout in a temp folder.
 *
 * Every measured run is its own process running the eraser CLI, `eraser inventory --oci-layout
 * DIR --all -o json [--cache-dir C]`: the compiled CLI with its V8 flags, as installed
 * (bin/eraser.js; `npm run bench:inventory` builds it first), or the sources through tsx when
 * dist/ is missing or older than src/ (the output says which). Runs: without a cache; cold, on
 * an empty cache folder; warm, a new process on the folder its cold run filled. Each run gives
 *   - inventory time: the CLI's `inventoryMs` (opening the cache and layout, resolving and
 *     inventorying every image; process start-up and printing the report excluded), the
 *     figure the warm/cold target is about (<= 0.1);
 *   - whole-process wall time from spawn to exit, and peak RSS (target <= 256 MiB).
 * Medians of --repeat runs (default 3; peak RSS: the highest). The reports of all runs must be
 * byte-identical, and the output says whether they were. No assertions on time.
 *
 *   npm run bench:inventory -- [--images N] [--repeat N]
 *   BENCH_KEEP=DIR ... writes the layout to DIR (not under the temp folder) and keeps it
 *   node --import tsx bench/inventory.ts [--images N] [--repeat N]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  imageOf,
  indexEntry,
  layerBlob,
  writeLayout,
  type Blob,
  type LayerBlob,
} from '../src/scanner/sources/testing/fixtures.js';
import type { TarEntry } from '../src/scanner/testing/layers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/eraser.js');
const CONCURRENCY = 2;
const MiB = 1024 * 1024;

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

/** How the CLI is started: the command line before `inventory ...`, and what it is. */
interface Cli {
  readonly file: string;
  readonly args: readonly string[];
  readonly label: string;
}

/** The compiled CLI when dist/ is at least as new as every source file; else tsx on src/. */
async function pickCli(): Promise<Cli> {
  const built = await stat(join(ROOT, 'dist/cli/entry.js')).catch(() => undefined);
  const newest = await newestSource(join(ROOT, 'src'));
  const flags = await binFlags();
  if (built !== undefined && built.mtimeMs >= newest) {
    return { file: BIN, args: [], label: `compiled (bin/eraser.js, dist/; ${flags.join(' ')})` };
  }
  const why = built === undefined ? 'dist/ not built' : 'dist/ older than src/';
  const entry = join(ROOT, 'src/cli/entry.ts');
  return {
    file: process.execPath,
    args: [...flags, '--import', 'tsx', entry],
    label: `sources through tsx (${why}; ${flags.join(' ')})`,
  };
}

/** The V8 flags of the installed CLI, from its shebang, so a tsx run starts alike. */
async function binFlags(): Promise<string[]> {
  const shebang = (await readFile(BIN, 'utf8')).split('\n', 1)[0] ?? '';
  return shebang.split(/\s+/).filter((word) => word.startsWith('--'));
}

async function newestSource(dir: string): Promise<number> {
  const names = await readdir(dir, { recursive: true });
  const sources = names.filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  const times = await Promise.all(
    sources.map(async (name) => (await stat(join(dir, name))).mtimeMs),
  );
  return Math.max(0, ...times);
}

interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly images: { readonly hits: number; readonly misses: number };
}

interface RunResult {
  readonly inventoried: number;
  readonly failed: number;
  readonly packages: number;
  /** In-process inventory time, from the CLI's outcome log line. */
  readonly inventorySeconds: number;
  /** Spawn to exit, as seen from here. */
  readonly wallSeconds: number;
  readonly maxRssKiB: number;
  readonly cache?: CacheStats;
  /** sha256 of the report on stdout. */
  readonly report: string;
}

interface FinishedLine {
  readonly inventoried: number;
  readonly failed: number;
  readonly packages: number;
  readonly inventoryMs: number;
  readonly maxRssKiB: number;
  readonly cache?: CacheStats;
}

function spawnCli(cli: Cli, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const options = { maxBuffer: 512 * MiB, cwd: ROOT };
  return new Promise((resolve, reject) => {
    execFile(cli.file, [...cli.args, ...args], options, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`eraser ${args.join(' ')} failed: ${stderr.slice(-2000) || err.message}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

async function runInventory(cli: Cli, layoutDir: string, cacheDir?: string): Promise<RunResult> {
  const args = ['inventory', '--oci-layout', layoutDir, '--all', '-o', 'json'];
  args.push('-c', String(CONCURRENCY), '--log-level', 'info');
  if (cacheDir !== undefined) args.push('--cache-dir', cacheDir);

  const started = performance.now();
  const { stdout, stderr } = await spawnCli(cli, args);
  const wallSeconds = (performance.now() - started) / 1000;

  const line = stderr.split('\n').find((l) => l.includes('"msg":"inventory finished"'));
  if (line === undefined) throw new Error(`no "inventory finished" log line in:\n${stderr}`);
  const finished = JSON.parse(line) as FinishedLine;
  return {
    inventoried: finished.inventoried,
    failed: finished.failed,
    packages: finished.packages,
    inventorySeconds: finished.inventoryMs / 1000,
    wallSeconds,
    maxRssKiB: finished.maxRssKiB,
    ...(finished.cache === undefined ? {} : { cache: finished.cache }),
    report: createHash('sha256').update(stdout).digest('hex'),
  };
}

/** The process cost alone: `eraser --help` loads the same modules and does no work. */
async function startupSeconds(cli: Cli): Promise<number> {
  const started = performance.now();
  await spawnCli(cli, ['--help']);
  return (performance.now() - started) / 1000;
}

interface Series {
  readonly none: RunResult[];
  readonly cold: RunResult[];
  readonly warm: RunResult[];
  readonly startup: number[];
}

/** Each round: no cache; cold on a new, empty folder; warm, a new process on that folder. */
async function measure(cli: Cli, dir: string, layoutDir: string, repeat: number): Promise<Series> {
  const series: Series = { none: [], cold: [], warm: [], startup: [] };
  for (let round = 0; round < repeat; round++) {
    series.startup.push(await startupSeconds(cli));
    series.none.push(await runInventory(cli, layoutDir));
    const cacheDir = await mkdtemp(join(dir, 'cache-'));
    if ((await readdir(cacheDir)).length > 0) throw new Error(`${cacheDir} is not empty`);
    series.cold.push(await runInventory(cli, layoutDir, cacheDir));
    series.warm.push(await runInventory(cli, layoutDir, cacheDir));
  }
  return series;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const low = sorted[middle - (sorted.length % 2 === 0 ? 1 : 0)] ?? Number.NaN;
  return (low + (sorted[middle] ?? Number.NaN)) / 2;
}

interface Summary {
  readonly inventory: number;
  readonly wall: number;
  readonly rssMiB: number;
}

function summarise(runs: readonly RunResult[]): Summary {
  return {
    inventory: median(runs.map((r) => r.inventorySeconds)),
    wall: median(runs.map((r) => r.wallSeconds)),
    rssMiB: Math.max(...runs.map((r) => r.maxRssKiB)) / 1024,
  };
}

function row(label: string, runs: readonly RunResult[], images: number): string {
  const s = summarise(runs);
  const last = runs[runs.length - 1];
  const cache =
    last?.cache === undefined
      ? '-'
      : `layers ${last.cache.hits}/${last.cache.misses}, ` +
        `images ${last.cache.images.hits}/${last.cache.images.misses}`;
  return [
    label.padEnd(11),
    `${s.inventory.toFixed(3)} s`.padStart(9),
    (images / s.inventory).toFixed(1).padStart(9),
    `${s.wall.toFixed(3)} s`.padStart(11),
    `${s.rssMiB.toFixed(0)} MiB`.padStart(10),
    `  ${cache}`,
  ].join(' ');
}

function report(series: Series, images: number): string {
  const all = [...series.none, ...series.cold, ...series.warm];
  const [none, cold, warm] = [series.none, series.cold, series.warm].map(summarise);
  const failed = all.reduce((sum, r) => sum + r.failed, 0);
  const same = all.every((r) => r.report === all[0]?.report);
  const peak = Math.max(none?.rssMiB ?? 0, cold?.rssMiB ?? 0, warm?.rssMiB ?? 0);
  const ratio = (a: Summary | undefined, b: Summary | undefined, key: 'inventory' | 'wall') =>
    ((a?.[key] ?? Number.NaN) / (b?.[key] ?? Number.NaN)).toFixed(3);
  return [
    `start-up alone (eraser --help): ${median(series.startup).toFixed(3)} s`,
    '',
    `${'run'.padEnd(11)} ${'inventory'.padStart(9)} ${'images/s'.padStart(9)} ` +
      `${'process'.padStart(11)} ${'peak RSS'.padStart(10)}   cache hits/misses`,
    row('no cache', series.none, images),
    row('cold cache', series.cold, images),
    row('warm cache', series.warm, images),
    '',
    `warm/cold inventory time ratio ${ratio(warm, cold, 'inventory')} (target <= 0.1); ` +
      `warm/no-cache ${ratio(warm, none, 'inventory')}`,
    `warm/cold whole-process wall ratio ${ratio(warm, cold, 'wall')} (start-up included)`,
    `peak RSS ${peak.toFixed(0)} MiB (target <= 256 MiB; whole process, Node included)`,
    `${all[0]?.packages ?? 0} packages per run; ${failed} image failures; reports of all runs ` +
      `byte-identical: ${same ? 'yes' : 'NO'}`,
  ].join('\n');
}

function options(): { images: number; repeat: number } {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '20' },
      repeat: { type: 'string', default: '3' },
    },
  });
  return {
    images: count(values.images, 'images', 500),
    repeat: count(values.repeat, 'repeat', 20),
  };
}

function count(text: string, name: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new Error(`--${name} expects a whole number from 1 to ${max}, got "${text}"`);
  }
  return value;
}

function keptLayout(): string | undefined {
  const dir = process.env['BENCH_KEEP'];
  return dir === undefined || dir === '' ? undefined : resolvePath(dir);
}

async function main(): Promise<void> {
  const { images, repeat } = options();
  const cli = await pickCli();
  const dir = await mkdtemp(join(tmpdir(), 'eraser-bench-inventory-'));
  try {
    const started = performance.now();
    const generated = await generate(images);
    // BENCH_KEEP=DIR writes the layout there and leaves it, for bench/trivy-compare.ts.
    const layoutDir = keptLayout() ?? join(dir, 'layout');
    await writeLayout(layoutDir, generated.blobs, generated.manifests);
    const genSeconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `${images} images, 3 shared base layers, ${(generated.bytes / MiB).toFixed(1)} MiB of ` +
        `blobs (generated in ${genSeconds} s); concurrency ${CONCURRENCY}\n` +
        `CLI: ${cli.label}; ${repeat === 1 ? 'one run' : `medians of ${repeat} runs`} each\n`,
    );
    const series = await measure(cli, dir, layoutDir, repeat);
    process.stdout.write(`${report(series, images)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
