/**
 * Removal benchmark on a real containerd: N unused images removed by a raw serial CRI
 * RemoveImage loop (the baseline) and by eraser's cleanup (collect, decide, re-check, remove with
 * bounded concurrency), each on a fresh import of the same images, in the same run. Then the
 * CLI does the same as a separate process, to measure the worker's peak RSS. A few pods run
 * throughout, as on any node, so eraser also pays for tracing their sandboxes to their image.
 *
 *   node --import tsx bench/remove.ts [--images 500] [--concurrency 8] [--pods 3]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { compileExclusions } from '../src/images/exclusions.js';
import { silentLogger } from '../src/logger.js';
import { runCleanup } from '../src/node/cleanup.js';
import {
  buildImage,
  startTestNode,
  writeOciArchiveMany,
  type ArchiveEntry,
  type TestNode,
} from '../test/harness/index.js';

// The installed CLI with its V8 flags, as users and the worker pod run it (needs npm run build).
const ENTRY = fileURLToPath(new URL('../bin/eraser.js', import.meta.url));

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    pods: { type: 'string', default: '3' },
  },
});
const COUNT = wholeNumber(values.images, 'images');
const CONCURRENCY = wholeNumber(values.concurrency, 'concurrency');
const PODS = values.pods === '0' ? 0 : wholeNumber(values.pods, 'pods');

function wholeNumber(text: string, name: string): number {
  if (!/^[1-9]\d{0,4}$/.test(text)) throw new Error(`--${name} must be 1..99999, got ${text}`);
  return Number(text);
}

async function main(): Promise<void> {
  const node = await startTestNode();
  try {
    for (let i = 0; i < PODS; i += 1) await node.runPod({ name: `bench-pod-${i}` });
    const archive = await writeImages(node);
    const baselineMs = await timed(node, archive, () => serialLoop(node));
    const oursMs = await timed(node, archive, () => ourCleanup(node));
    await importAll(node, archive);
    const cli = await cliRun(node);
    print(baselineMs, oursMs, cli);
  } finally {
    await node.stop();
  }
}

async function writeImages(node: TestNode): Promise<string> {
  const entries: ArchiveEntry[] = [];
  for (let i = 0; i < COUNT; i++) {
    const image = await buildImage({ tags: [`bench.example/app-${i}:v1`], seed: `bench-${i}` });
    entries.push({ image, names: image.tags });
  }
  const path = join(node.containerd.dir, 'bench.tar');
  await writeOciArchiveMany(entries, path);
  return path;
}

/** Imports every image and waits until the CRI plugin lists them all. */
async function importAll(node: TestNode, archive: string): Promise<void> {
  await node.containerd.ctr(['images', 'import', '--no-unpack', archive]);
  const until = Date.now() + 120_000;
  while ((await benchImages(node)).length < COUNT) {
    if (Date.now() > until) throw new Error('CRI did not list every imported image in 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function benchImages(node: TestNode) {
  const images = await node.runtime.listImages();
  return images.filter((i) => i.repoTags.some((t) => t.startsWith('bench.example/')));
}

async function timed(node: TestNode, archive: string, run: () => Promise<void>): Promise<number> {
  await importAll(node, archive);
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const left = (await benchImages(node)).length;
  if (left !== 0) throw new Error(`${left} bench images still present after the run`);
  return ms;
}

/** The baseline: what a script would do, one RemoveImage after another, no safety checks. */
async function serialLoop(node: TestNode): Promise<void> {
  for (const image of await benchImages(node)) await node.runtime.removeImage(image.id);
}

async function ourCleanup(node: TestNode): Promise<void> {
  const report = await runCleanup(
    node.runtime,
    {
      entries: ['*'],
      exclusions: compileExclusions([], 'none'),
      dryRun: false,
      concurrency: CONCURRENCY,
      keepSharedTags: false,
      skipInvalid: false,
    },
    silentLogger(),
  );
  if (report.totals.removed !== COUNT) {
    throw new Error(`cleanup removed ${report.totals.removed} of ${COUNT} images`);
  }
}

interface CliFigures {
  readonly ms: number;
  readonly maxRssKiB: number;
}

function cliRun(node: TestNode): Promise<CliFigures> {
  const args = ['run', '-r', node.endpoint, '-a', '-c', String(CONCURRENCY), '-o', 'json'];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ENTRY, args);
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const line = stderr.split('\n').find((l) => l.includes('"msg":"run finished"'));
      const finished = line ? (JSON.parse(line) as { maxRssKiB?: number; removed?: number }) : {};
      if (code !== 0 || finished.removed !== COUNT || finished.maxRssKiB === undefined) {
        reject(new Error(`CLI run failed (exit ${String(code)}): ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ ms, maxRssKiB: finished.maxRssKiB });
    });
  });
}

function print(baselineMs: number, oursMs: number, cli: CliFigures): void {
  const ratio = oursMs / baselineMs;
  const rssMiB = cli.maxRssKiB / 1024;
  console.log(
    `images removed per run            ${COUNT} (concurrency ${CONCURRENCY}, ${PODS} pods)`,
  );
  console.log(`baseline: serial CRI RemoveImage  ${baselineMs.toFixed(0)} ms`);
  console.log(`eraser cleanup (in process)       ${oursMs.toFixed(0)} ms`);
  console.log(`ratio eraser / baseline           ${ratio.toFixed(2)} (target <= 0.60)`);
  console.log(`eraser CLI, whole process         ${cli.ms.toFixed(0)} ms`);
  console.log(`eraser CLI peak RSS               ${rssMiB.toFixed(1)} MiB (target <= 80 MiB)`);
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exitCode = 1;
});
