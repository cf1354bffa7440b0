/**
 * The README's first command: eraser's main job on a real, throwaway containerd. It seeds a node
 * that looks like a real one, runs `eraser run` as a dry run and then for real, and checks that
 * everything that had to stay stayed. Exits non-zero if any image ended up in the wrong place.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startTestNode, type SeededImage, type TestNode } from '../test/harness/index.js';

const ENTRY = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));

interface Seed {
  readonly tags: string[];
  readonly use?: 'running' | 'exited';
  /** Whether the cleanup must remove it. */
  readonly goes: boolean;
  readonly why: string;
}

const SEEDS: Seed[] = [
  { tags: ['nginx:1.27', 'nginx:stable'], use: 'running', goes: false, why: 'running container' },
  { tags: ['nginx:1.25'], goes: true, why: 'old, unused' },
  { tags: ['redis:7.2'], use: 'exited', goes: false, why: 'exited container' },
  { tags: ['redis:6.2'], goes: true, why: 'old, unused' },
  { tags: ['alpine:3.18', 'alpine:3'], goes: true, why: 'unused, two tags' },
  { tags: ['alpine:3.20'], use: 'running', goes: false, why: 'running container' },
  { tags: ['quay.io/prometheus/node-exporter:v1.7.0'], goes: false, why: 'excluded by rule' },
  { tags: ['registry.example.com/team/api:v2.3.0'], use: 'running', goes: false, why: 'running' },
  { tags: ['registry.example.com/team/api:v2.2.0'], goes: true, why: 'previous release' },
  { tags: ['ghcr.io/org/worker:sha-3f2a9c1'], goes: true, why: 'unused build' },
  { tags: ['busybox:1.36'], use: 'exited', goes: false, why: 'finished job container' },
];

async function main(): Promise<number> {
  step('Starting a private containerd under a temporary folder');
  const node = await startTestNode();
  const work = await mkdtemp(join(tmpdir(), 'eraser-demo-'));
  stopOnSignal(node, work);
  try {
    const seeded = await seedNode(node);
    const exclusions = await writeExclusions(work);
    const args = ['run', '-r', node.endpoint, '--all-unused', '-E', exclusions, '--log-level'];

    step('Dry run: what would go, and why everything else stays');
    await cli([...args, 'warn', '--dry-run']);
    step('Cleanup for real (one structured log line per decision on stderr, shown at info)');
    await cli([...args, 'info']);
    return await verify(node, seeded);
  } finally {
    step('Stopping containerd and removing everything the demo created');
    await node.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Ctrl-C or SIGTERM still stops containerd and removes the sandbox before the demo exits. */
function stopOnSignal(node: TestNode, work: string): void {
  const handler = (signal: NodeJS.Signals) => {
    step(`${signal}: stopping containerd and removing everything the demo created`);
    const exit = () => process.exit(130);
    node
      .stop()
      .then(() => rm(work, { recursive: true, force: true }))
      .then(exit, exit);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

interface Seeded {
  readonly seed: Seed;
  readonly image: SeededImage;
}

async function seedNode(node: TestNode): Promise<Seeded[]> {
  step(`Seeding ${SEEDS.length + 1} images (plus the pause image), starting containers`);
  const seeded: Seeded[] = [];
  for (const [i, seed] of SEEDS.entries()) {
    const image = await node.seedImage({ tags: seed.tags, seed: `demo-${i}`, padBytes: 64 * 1024 });
    if (seed.use) await node.runContainer(image.reference, { state: seed.use });
    seeded.push({ seed, image });
  }
  const byDigest = await node.seedImageViaRegistry({ seed: 'demo-digest' }, { repo: 'tools/ci' });
  const why = 'pulled by digest, no tag';
  seeded.push({
    seed: { tags: [byDigest.pushed.digestReference], goes: true, why },
    image: byDigest,
  });
  const pause = await node.runtime.imageStatus(node.sandboxImage);
  if (pause) console.log(`  pause image ${node.sandboxImage} is the runtime's sandbox image`);
  for (const { seed, image } of seeded) {
    const use = seed.use ? ` (${seed.use} container)` : '';
    console.log(`  ${image.id.slice(7, 19)}  ${seed.tags.join(', ')}${use}`);
  }
  return seeded;
}

async function writeExclusions(work: string): Promise<string> {
  const dir = join(work, 'exclusions');
  await mkdir(dir);
  await writeFile(join(dir, 'monitoring.json'), '{"excluded": ["quay.io/prometheus/*"]}\n');
  console.log(`  exclusion rule quay.io/prometheus/* in ${dir}/monitoring.json`);
  return dir;
}

function cli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`eraser ${args.join(' ')} exited with ${String(code)}`));
    });
  });
}

async function verify(node: TestNode, seeded: readonly Seeded[]): Promise<number> {
  step('Checking the node');
  let wrong = 0;
  for (const { seed, image } of seeded) {
    const there = (await node.runtime.imageStatus(image.id)) !== undefined;
    const ok = there !== seed.goes;
    if (!ok) wrong += 1;
    const state = there ? 'stayed' : 'removed';
    console.log(
      `  ${ok ? 'ok  ' : 'FAIL'} ${state.padEnd(8)} ${seed.tags.join(', ')} (${seed.why})`,
    );
  }
  const pauseThere = (await node.runtime.imageStatus(node.sandboxImage)) !== undefined;
  if (!pauseThere) wrong += 1;
  console.log(`  ${pauseThere ? 'ok  ' : 'FAIL'} stayed   ${node.sandboxImage} (sandbox image)`);
  console.log(wrong === 0 ? '\nEverything that had to stay stayed.' : `\n${wrong} images wrong.`);
  return wrong === 0 ? 0 : 1;
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('demo failed:', err);
    process.exitCode = 1;
  },
);
