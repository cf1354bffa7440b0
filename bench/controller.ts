/**
 * Controller benchmark: one manual ImageList across N emulated nodes whose worker pods finish
 * at once. The manager runs as its own process (the CLI, `eraser manager`) against the API
 * emulator, so its peak RSS is its own. Baseline, in the same run: a bare client-node loop
 * creating the same number of pods at the same concurrency and watching them finish, which is
 * the least any controller can spend on the API.
 *
 *   node --import tsx bench/controller.ts [--nodes 5000] [--cli build|source]
 *
 * `--cli build` (default) runs bin/eraser.js, as deployed (run `npm run build` first);
 * `--cli source` runs src/cli/entry.ts through tsx (its loader adds memory of its own);
 * `--cli path/to/entry.js` runs another compiled entry point. Both take the V8 flags of
 * bin/eraser.js, so the three modes measure the same process settings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { CoreV1Api, V1Pod, Watch, type KubeConfig } from '@kubernetes/client-node';
import pLimit from 'p-limit';

import { crdManifest } from '../src/api/crd.js';
import { ALL_CRDS } from '../src/api/crds.js';
import { startEmulator, type Emulator, type KubeObject } from '../test/kube-emulator/index.js';
import { configYaml, testConfig } from '../test/e2e/bed.js';
import { NodeSimulator } from '../test/node-sim/index.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'eraser-system';
const BASELINE_NAMESPACE = 'bench-baseline';
const CONCURRENCY = 32;
const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const REPORT = JSON.stringify({ totals: { images: 12, removed: 3, failed: 0 } });

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    cli: { type: 'string', default: 'build' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const NODES = Number(values.nodes);
if (!Number.isInteger(NODES) || NODES < 1 || NODES > 50_000) {
  throw new Error(`--nodes must be 1..50000, got ${values.nodes}`);
}
if (values.cli !== 'build' && values.cli !== 'source' && !values.cli.endsWith('.js')) {
  throw new Error(`--cli must be build, source or a compiled entry.js, got ${values.cli}`);
}

/** The V8 flags bin/eraser.js runs with (its shebang line), so every mode measures alike. */
async function launcherFlags(): Promise<string[]> {
  const first = (await readFile(join(REPO, 'bin/eraser.js'), 'utf8')).split('\n')[0] ?? '';
  return first.split(/\s+/).filter((word) => word.startsWith('--'));
}

async function cliCommand(): Promise<string[]> {
  if (values.cli === 'build') return [join(REPO, 'bin/eraser.js')];
  const flags = await launcherFlags();
  if (values.cli === 'source') {
    return [process.execPath, ...flags, '--import', 'tsx', join(REPO, 'src/cli/entry.ts')];
  }
  return [process.execPath, ...flags, values.cli];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup(): Promise<{ emulator: Emulator; sim: NodeSimulator }> {
  const emulator = await startEmulator({
    namespaces: [NAMESPACE, BASELINE_NAMESPACE],
    historySize: 20 * NODES + 1000,
  });
  for (const crd of ALL_CRDS) {
    emulator.store.create(
      'customresourcedefinitions.apiextensions.k8s.io',
      crdManifest(crd) as KubeObject,
    );
  }
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    name: `node-${String(i).padStart(5, '0')}`,
  }));
  const sim = await NodeSimulator.start({
    store: emulator.store,
    nodes,
    workerCommand: [],
    instantMessage: REPORT,
  });
  return { emulator, sim };
}

/** The baseline: create every pod with a bare loop, then wait for all to succeed. */
async function baseline(kc: KubeConfig): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  let done = 0;
  const watch = await new Watch(kc).watch(
    `/api/v1/namespaces/${BASELINE_NAMESPACE}/pods`,
    {},
    (type, obj: { status?: { phase?: string } }) => {
      if (type === 'MODIFIED' && obj.status?.phase === 'Succeeded') done += 1;
    },
    () => undefined,
  );
  const started = performance.now();
  const limit = pLimit(CONCURRENCY);
  await Promise.all(
    Array.from({ length: NODES }, (_, i) =>
      limit(() =>
        core.createNamespacedPod({
          namespace: BASELINE_NAMESPACE,
          body: Object.assign(new V1Pod(), {
            metadata: { name: `base-${i}` },
            spec: {
              nodeName: `node-${String(i).padStart(5, '0')}`,
              restartPolicy: 'Never',
              containers: [{ name: 'c', image: 'localhost/eraser:0.1.0' }],
            },
          }),
        }),
      ),
    ),
  );
  await until('baseline pods to finish', 600_000, () => (done >= NODES ? true : undefined));
  const ms = performance.now() - started;
  watch.abort();
  await core.deleteCollectionNamespacedPod({ namespace: BASELINE_NAMESPACE });
  return ms;
}

interface Manager {
  readonly child: ChildProcess;
  readonly port: number;
  peakRssKiB(): Promise<number>;
}

async function startManager(dir: string, kc: KubeConfig): Promise<Manager> {
  const kubeconfig = join(dir, 'kubeconfig.json');
  const config = join(dir, 'config.yaml');
  await writeFile(kubeconfig, kc.exportConfig());
  await writeFile(config, configYaml(testConfig()));
  const port = await freePort();
  const [command = '', ...prefix] = await cliCommand();
  const child = spawn(
    command,
    [
      ...prefix,
      'manager',
      `--kubeconfig=${kubeconfig}`,
      `--config=${config}`,
      `--namespace=${NAMESPACE}`,
      `--health-addr=127.0.0.1:${port}`,
      `--metrics-addr=127.0.0.1:${port}`,
      `--log-level=${values['log-level']}`,
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const peakRssKiB = async (): Promise<number> => {
    const status = await readFile(`/proc/${child.pid ?? 0}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  };
  return { child, port, peakRssKiB };
}

async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the manager never became ready');
}

interface RunFigures {
  /** From the ImageList's creation to its ImageJob's. */
  readonly launchMs: number;
  readonly jobMs: number;
  readonly listMs: number;
  readonly writes: number;
  readonly writesByResource: Record<string, number>;
}

function phaseOf(obj: KubeObject): unknown {
  return (obj['status'] as { phase?: unknown } | undefined)?.phase;
}

/** Times of the run's milestones, taken by a store listener the moment each change commits. */
interface Milestones {
  jobCreated: number;
  jobDone: number;
  listDone: number;
  jobDeleted: number;
}

function watchMilestones(emulator: Emulator, marks: Milestones): () => void {
  return emulator.store.onChange((event) => {
    const now = performance.now();
    if (event.resource === 'imagelists.eraser.sh') {
      const status = event.object['status'] as { observedGeneration?: number } | undefined;
      if (marks.listDone === 0 && status?.observedGeneration !== undefined) marks.listDone = now;
    }
    if (event.resource !== 'imagejobs.eraser.sh') return;
    if (event.type === 'ADDED') marks.jobCreated = now;
    if (event.type === 'DELETED') marks.jobDeleted = now;
    const phase = phaseOf(event.object);
    if (marks.jobDone === 0 && (phase === 'Completed' || phase === 'Failed')) marks.jobDone = now;
  });
}

function countWrites(emulator: Emulator): Record<string, number> {
  const writes: Record<string, number> = {};
  for (const entry of emulator.requestLog.entries) {
    if (entry.verb === undefined || !WRITES.has(entry.verb)) continue;
    const key = `${entry.resource ?? '?'} ${entry.verb}`;
    writes[key] = (writes[key] ?? 0) + 1;
  }
  return writes;
}

/** One ImageList through the manager, until its job is deleted. */
async function managedRun(emulator: Emulator): Promise<RunFigures> {
  const marks: Milestones = { jobCreated: 0, jobDone: 0, listDone: 0, jobDeleted: 0 };
  const unsubscribe = watchMilestones(emulator, marks);
  emulator.requestLog.clear();
  const started = performance.now();
  emulator.store.create('imagelists.eraser.sh', {
    apiVersion: 'eraser.sh/v1',
    kind: 'ImageList',
    metadata: { name: 'bench', generation: 1 },
    spec: { images: ['docker.io/library/alpine:3.7'] },
  });
  await until('the job to be deleted', 600_000, () => (marks.jobDeleted > 0 ? true : undefined));
  unsubscribe();
  const writesByResource = countWrites(emulator);
  return {
    launchMs: marks.jobCreated - started,
    jobMs: marks.jobDone - marks.jobCreated,
    listMs: marks.listDone - started,
    writes: Object.values(writesByResource).reduce((a, b) => a + b, 0),
    writesByResource,
  };
}

function print(baselineMs: number, run: RunFigures, rssKiB: number): void {
  const line = (label: string, value: string) => {
    console.log(`${label.padEnd(44)} ${value}`);
  };
  line('nodes (pods finish at once)', String(NODES));
  line('manager CLI', values.cli);
  line('baseline: bare client-node create + watch', `${(baselineMs / 1000).toFixed(2)} s`);
  line('manager: job created -> completed', `${(run.jobMs / 1000).toFixed(2)} s (target <= 30 s)`);
  line('manager: ImageList created -> job created', `${(run.launchMs / 1000).toFixed(2)} s`);
  line('manager: ImageList created -> status', `${(run.listMs / 1000).toFixed(2)} s`);
  line('ratio manager job / baseline', (run.jobMs / baselineMs).toFixed(2));
  line(
    'manager API writes',
    `${run.writes} (${(run.writes / NODES).toFixed(3)} per node, target <= 3)`,
  );
  for (const [key, n] of Object.entries(run.writesByResource).sort()) line(`  ${key}`, String(n));
  line('manager peak RSS', `${(rssKiB / 1024).toFixed(1)} MiB (target <= 100 MiB)`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-controller-'));
  const { emulator, sim } = await setup();
  let manager: Manager | undefined;
  try {
    const kc = emulator.kubeConfig();
    const baselineMs = await baseline(kc);
    manager = await startManager(dir, kc);
    await waitReady(manager.port);
    const run = await managedRun(emulator);
    print(baselineMs, run, await manager.peakRssKiB());
  } finally {
    if (manager !== undefined && manager.child.exitCode === null) {
      const exited = new Promise((resolve) => manager?.child.once('exit', resolve));
      manager.child.kill('SIGTERM');
      await exited;
    }
    await sim.stop();
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
