/**
 * The end-to-end test bed: the Kubernetes API emulator with eraser's CRDs, a node simulator
 * (real containerd nodes and/or instant fake ones), and managers started against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { stringify } from 'yaml';
import { CoreV1Api, CustomObjectsApi, V1ConfigMap, type KubeConfig } from '@kubernetes/client-node';

import { defaultEraserConfig, type EraserConfig } from '../../src/api/config.js';
import { crdManifest } from '../../src/api/crd.js';
import { ALL_CRDS } from '../../src/api/crds.js';
import {
  startManager,
  type ManagerHandle,
  type ManagerOptions,
} from '../../src/controller/index.js';
import { silentLogger } from '../../src/logger.js';
import { startEmulator, type Emulator, type KubeObject } from '../kube-emulator/index.js';
import { startTestNode, type TestNode } from '../harness/index.js';
import { NodeSimulator, type SimNodeSpec } from '../node-sim/index.js';

export const NAMESPACE = 'eraser-system';
const CRD_RESOURCE = 'customresourcedefinitions.apiextensions.k8s.io';
const REPO = join(import.meta.dirname, '..', '..');

/** Short lease timings so a takeover after a crash happens within seconds. */
export const LEASE = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
const LEASE_FLAGS = ['--lease-duration=2s', '--renew-deadline=1.5s', '--retry-period=200ms'];

/** The worker as pods run it here: the CLI from source, through tsx. */
export const WORKER_COMMAND = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/entry.ts')];

export interface BedOptions {
  /** Nodes backed by their own real containerd. */
  readonly realNodes?: number;
  /** Simulated nodes without a runtime (never-start, instant-success, …). */
  readonly fakeNodes?: readonly SimNodeSpec[];
  /** Labels per real node, by index. */
  readonly realNodeLabels?: readonly Record<string, string>[];
  /** Termination message of pods that fake nodes finish at once. */
  readonly instantMessage?: string;
}

/**
 * A config for tests: no automated runs (collector off) unless a test turns them on, scanner
 * off (automated runs then remove every unused image), failed jobs cleaned up at once.
 */
export function testConfig(edit: (c: EraserConfig) => void = () => undefined): EraserConfig {
  const config = defaultEraserConfig();
  config.components.collector.enabled = false;
  config.components.scanner.enabled = false;
  config.manager.imageJob.cleanup.delayOnFailureMs = 0;
  config.manager.logLevel = 'warn';
  edit(config);
  return config;
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/** The config as an EraserConfig v1alpha3 file, the way an operator writes it. */
export function configYaml(config: EraserConfig): string {
  const { manager: m, components: c } = config;
  const component = (x: EraserConfig['components']['collector']) => ({
    image: x.image,
    request: x.request,
    limit: x.limit,
  });
  const scheduling = {
    repeatInterval: seconds(m.scheduling.repeatIntervalMs),
    beginImmediately: m.scheduling.beginImmediately,
    ...(m.scheduling.cron === undefined ? {} : { cron: m.scheduling.cron }),
  };
  return stringify({
    apiVersion: 'eraser.sh/v1alpha3',
    kind: 'EraserConfig',
    manager: {
      runtime: m.runtime,
      logLevel: m.logLevel,
      scheduling,
      imageJob: {
        successRatio: m.imageJob.successRatio,
        cleanup: {
          delayOnSuccess: seconds(m.imageJob.cleanup.delayOnSuccessMs),
          delayOnFailure: seconds(m.imageJob.cleanup.delayOnFailureMs),
        },
      },
      pullSecrets: m.pullSecrets,
      priorityClassName: m.priorityClassName,
      additionalPodLabels: m.additionalPodLabels,
      nodeFilter: m.nodeFilter,
    },
    components: {
      collector: { enabled: c.collector.enabled, ...component(c.collector) },
      scanner: { enabled: c.scanner.enabled, ...component(c.scanner) },
      remover: {
        ...component(c.remover),
        ...(c.remover.minAgeMs > 0 ? { minAge: seconds(c.remover.minAgeMs) } : {}),
      },
    },
  });
}

export class Bed {
  readonly managers: ManagerHandle[] = [];
  readonly children: ChildProcess[] = [];

  private constructor(
    readonly emulator: Emulator,
    readonly nodes: readonly TestNode[],
    readonly sim: NodeSimulator,
  ) {}

  static async start(opts: BedOptions = {}): Promise<Bed> {
    const emulator = await startEmulator({ namespaces: [NAMESPACE], historySize: 20_000 });
    for (const crd of ALL_CRDS) {
      emulator.store.create(CRD_RESOURCE, crdManifest(crd) as KubeObject);
    }
    const nodes = await Promise.all(
      Array.from({ length: opts.realNodes ?? 0 }, () => startTestNode()),
    );
    const real: SimNodeSpec[] = nodes.map((n, i) => ({
      name: `node-${i + 1}`,
      runtimeEndpoint: n.endpoint,
      labels: opts.realNodeLabels?.[i] ?? {},
    }));
    const sim = await NodeSimulator.start({
      store: emulator.store,
      nodes: [...real, ...(opts.fakeNodes ?? [])],
      workerCommand: WORKER_COMMAND,
      cwd: REPO,
      ...(opts.instantMessage === undefined ? {} : { instantMessage: opts.instantMessage }),
    });
    return new Bed(emulator, nodes, sim);
  }

  kubeConfig(): KubeConfig {
    return this.emulator.kubeConfig();
  }

  custom(): CustomObjectsApi {
    return this.kubeConfig().makeApiClient(CustomObjectsApi);
  }

  core(): CoreV1Api {
    return this.kubeConfig().makeApiClient(CoreV1Api);
  }

  async startManager(overrides: Partial<ManagerOptions> = {}): Promise<ManagerHandle> {
    const manager = await startManager({
      connection: { server: this.emulator.url },
      namespace: NAMESPACE,
      config: testConfig(),
      leaderElection: false,
      worker: { command: ['eraser'] },
      podStartTimeoutMs: 20_000,
      progressIntervalMs: 200,
      logger: silentLogger(),
      healthAddress: '127.0.0.1:0',
      metricsAddress: '127.0.0.1:0',
      ...overrides,
    });
    this.managers.push(manager);
    return manager;
  }

  /**
   * Starts `eraser manager` from the CLI in a child process against this bed (leader election
   * on, short lease timings), so a test can kill it as a crash would.
   */
  async spawnManager(
    dir: string,
    configPath: string,
    opts: { readonly args?: readonly string[]; readonly stderr?: 'inherit' | 'pipe' } = {},
  ): Promise<ChildProcess> {
    const kubeconfig = join(dir, 'kubeconfig.json');
    await writeFile(kubeconfig, this.kubeConfig().exportConfig());
    const args = [
      'manager',
      `--kubeconfig=${kubeconfig}`,
      `--config=${configPath}`,
      `--namespace=${NAMESPACE}`,
      '--health-addr=127.0.0.1:0',
      '--metrics-addr=127.0.0.1:0',
      '--leader-elect',
      ...LEASE_FLAGS,
      '--pod-start-timeout=60s',
      '--log-level=warn',
      // Later flags win, so a test may lengthen the lease or raise the log level.
      ...(opts.args ?? []),
    ];
    const child = spawn(
      WORKER_COMMAND[0] ?? process.execPath,
      [...WORKER_COMMAND.slice(1), ...args],
      {
        cwd: REPO,
        stdio: ['ignore', 'ignore', opts.stderr ?? 'inherit'],
      },
    );
    this.children.push(child);
    return child;
  }

  async applyImageList(name: string, images: readonly string[]): Promise<void> {
    const body = {
      apiVersion: 'eraser.sh/v1',
      kind: 'ImageList',
      metadata: { name },
      spec: { images },
    };
    await this.custom().createClusterCustomObject({
      group: 'eraser.sh',
      version: 'v1',
      plural: 'imagelists',
      body,
    });
  }

  imageList(name: string): KubeObject | undefined {
    return this.emulator.store.get('imagelists.eraser.sh', undefined, name);
  }

  /** The ImageList once it reports the given generation as done. */
  async listDone(name: string, generation = 1, timeoutMs = 60_000): Promise<KubeObject> {
    return waitFor(`imagelist ${name} generation ${generation} done`, timeoutMs, () => {
      const list = this.imageList(name);
      const status = list?.['status'] as { observedGeneration?: number } | undefined;
      return (status?.observedGeneration ?? 0) >= generation ? list : undefined;
    });
  }

  async addExclusions(name: string, data: Record<string, string>): Promise<void> {
    await this.core().createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: Object.assign(new V1ConfigMap(), {
        metadata: { name, labels: { 'eraser.sh/exclude.list': 'true' } },
        data,
      }),
    });
  }

  async stop(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(this.managers.map((m) => m.stop()));
    await this.sim.stop();
    await this.emulator.stop();
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** Polls `probe` every 50 ms until it returns a value; fails with `what` after the bound. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
