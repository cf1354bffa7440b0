/**
 * A node simulator for end-to-end tests: plays the kubelet of several fake nodes against the
 * Kubernetes API emulator. Pods bound to a node in mode `run` become real worker processes
 * against that node's own containerd (see README.md); other modes never start pods, fail image
 * pulls, or finish instantly (benchmarks).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseEndpoint } from '../../src/runtime/endpoint.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import type { KubeObject, ObjectStore, StoreEvent } from '../kube-emulator/index.js';
import { isRecord } from '../kube-emulator/types.js';
import { runContainer, type ContainerResult, type RunningContainer } from './container.js';
import {
  now,
  pendingStatus,
  runningStatus,
  terminatedStatus,
  type ContainerSpecLite,
} from './status.js';
import { prepareMounts, translate, type PathMap } from './volumes.js';

export type NodeMode =
  'run' | 'never-start' | 'image-pull-failure' | 'instant-success' | 'instant-failure';

export interface SimNodeSpec {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Default `run` when a runtime endpoint is given, else `instant-success`. */
  readonly mode?: NodeMode;
  /** The node's own containerd, `unix:///tmp/…/containerd.sock` (mode `run`). */
  readonly runtimeEndpoint?: string;
}

export interface NodeSimulatorOptions {
  readonly store: ObjectStore;
  readonly nodes: readonly SimNodeSpec[];
  /** What a container command of `eraser` runs, e.g. `[node, --import, tsx, src/cli/entry.ts]`. */
  readonly workerCommand: readonly string[];
  /** Working directory of worker processes (the repository root, for tsx). */
  readonly cwd?: string;
  /** Termination message of instant successes. */
  readonly instantMessage?: string;
  readonly log?: Logger;
}

/** One container process the simulator ran, for assertions. */
export interface ContainerRecord {
  readonly pod: string;
  readonly node: string;
  readonly argv: readonly string[];
  readonly result: ContainerResult;
}

interface SimNode {
  spec: SimNodeSpec;
  mode: NodeMode;
  socketPath?: string;
}

type Rec = Record<string, unknown>;

function specOf(pod: KubeObject): Rec {
  return isRecord(pod['spec']) ? pod['spec'] : {};
}

function recs(value: unknown): Rec[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function isTerminal(pod: KubeObject): boolean {
  const status = isRecord(pod['status']) ? pod['status'] : {};
  return status['phase'] === 'Succeeded' || status['phase'] === 'Failed';
}

function nodeObject(spec: SimNodeSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': spec.name,
        ...spec.labels,
      },
    },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      nodeInfo: { containerRuntimeVersion: 'containerd://1.6.20', operatingSystem: 'linux' },
    },
  };
}

export class NodeSimulator {
  readonly records: ContainerRecord[] = [];
  private readonly nodes = new Map<string, SimNode>();
  private readonly handled = new Set<string>();
  /** Pods a never-start node sits on, by uid. */
  private readonly held = new Set<string>();
  private readonly running = new Map<string, RunningContainer[]>();
  private readonly work = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  private stopped = false;

  private constructor(
    private readonly opts: NodeSimulatorOptions,
    private readonly dir: string,
  ) {
    this.log = (opts.log ?? silentLogger()).child({ component: 'node-sim' });
    this.unsubscribe = opts.store.onChange((event) => {
      this.onEvent(event);
    });
  }

  static async start(opts: NodeSimulatorOptions): Promise<NodeSimulator> {
    const dir = await mkdtemp(join(tmpdir(), 'nodesim-'));
    const sim = new NodeSimulator(opts, dir);
    sim.addNodes(opts.nodes);
    for (const pod of opts.store.list('pods')) sim.consider(pod);
    return sim;
  }

  /** Registers nodes (Node objects in the store) and starts serving their pods. */
  addNodes(specs: readonly SimNodeSpec[]): void {
    for (const spec of specs) {
      const mode = spec.mode ?? (spec.runtimeEndpoint === undefined ? 'instant-success' : 'run');
      const socketPath =
        spec.runtimeEndpoint === undefined
          ? undefined
          : parseEndpoint(spec.runtimeEndpoint).socketPath;
      this.nodes.set(spec.name, {
        spec,
        mode,
        ...(socketPath === undefined ? {} : { socketPath }),
      });
      if (this.opts.store.get('nodes', undefined, spec.name) === undefined) {
        this.opts.store.create('nodes', nodeObject(spec));
      }
    }
  }

  /** Deletes a Node object, as when a node leaves the cluster; its pods stop being served. */
  removeNode(name: string): void {
    this.nodes.delete(name);
    this.opts.store.delete('nodes', undefined, name);
  }

  /** Changes how a node treats pods; pods it was holding (never-start) are served anew. */
  setMode(name: string, mode: NodeMode): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    node.mode = mode;
    if (mode === 'never-start') return;
    for (const pod of this.opts.store.list('pods')) {
      if (specOf(pod)['nodeName'] !== name || isTerminal(pod)) continue;
      const uid = pod.metadata.uid ?? '';
      if (this.held.delete(uid)) {
        this.handled.delete(uid);
        this.consider(pod);
      }
    }
  }

  /** Resolves when every pod in flight has reached a final state. */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    for (const list of this.running.values()) for (const c of list) c.kill();
    await this.idle();
    await rm(this.dir, { recursive: true, force: true });
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== 'pods' || this.stopped) return;
    const uid = event.object.metadata.uid ?? '';
    if (event.type === 'DELETED' || event.object.metadata.deletionTimestamp !== undefined) {
      for (const c of this.running.get(uid) ?? []) c.kill();
      return;
    }
    // Defer: store listeners run inside the commit, and we write back to the store.
    setImmediate(() => {
      this.consider(event.object);
    });
  }

  private consider(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    const nodeName = specOf(pod)['nodeName'];
    const node = typeof nodeName === 'string' ? this.nodes.get(nodeName) : undefined;
    if (node === undefined || this.handled.has(uid) || isTerminal(pod) || this.stopped) return;
    if (pod.metadata.deletionTimestamp !== undefined) return;
    this.handled.add(uid);
    const work = this.serve(pod, node).catch((err: unknown) => {
      this.log.error({ err, pod: pod.metadata.name }, 'simulated pod failed unexpectedly');
    });
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
  }

  private containers(pod: KubeObject): ContainerSpecLite[] {
    return recs(specOf(pod)['containers']).map((c) => ({
      name: typeof c['name'] === 'string' ? c['name'] : 'main',
      ...(typeof c['image'] === 'string' ? { image: c['image'] } : {}),
    }));
  }

  /** Writes the pod's status, unless the pod is gone. */
  private setStatus(pod: KubeObject, status: Rec): boolean {
    try {
      this.opts.store.update('pods', pod.metadata.namespace, pod.metadata.name ?? '', (obj) => {
        obj['status'] = status;
      });
      return true;
    } catch {
      return false;
    }
  }

  private async serve(pod: KubeObject, node: SimNode): Promise<void> {
    const containers = this.containers(pod);
    if (node.mode === 'never-start') {
      this.held.add(pod.metadata.uid ?? '');
      return;
    }
    if (node.mode === 'image-pull-failure') {
      const message = 'failed to pull image: simulated registry refusal';
      this.setStatus(pod, pendingStatus(containers, 'ErrImagePull', message));
      return;
    }
    if (node.mode === 'instant-success' || node.mode === 'instant-failure') {
      const exitCode = node.mode === 'instant-success' ? 0 : 1;
      const message = exitCode === 0 ? this.opts.instantMessage : 'simulated failure';
      const results = containers.map(() => ({
        exitCode,
        ...(message === undefined ? {} : { message }),
      }));
      this.setStatus(pod, terminatedStatus(containers, now(), results));
      return;
    }
    await this.runReal(pod, node, containers);
  }

  private async runReal(
    pod: KubeObject,
    node: SimNode,
    containers: ContainerSpecLite[],
  ): Promise<void> {
    if (!this.setStatus(pod, pendingStatus(containers))) return;
    const podDir = join(this.dir, pod.metadata.uid ?? 'pod');
    try {
      const started = await this.startContainers(pod, node, podDir);
      if (started === undefined) return;
      const startedAt = now();
      if (!this.setStatus(pod, runningStatus(containers, startedAt))) {
        for (const c of started) c.running.kill();
      }
      const results = await Promise.all(started.map((c) => c.running.result));
      started.forEach((c, i) => {
        const result = results[i];
        if (result !== undefined)
          this.records.push({
            pod: pod.metadata.name ?? '',
            node: node.spec.name,
            argv: c.argv,
            result,
          });
      });
      this.running.delete(pod.metadata.uid ?? '');
      const deadline = results.some((r) => r.deadlineExceeded)
        ? {
            reason: 'DeadlineExceeded',
            message: 'Pod was active on the node longer than the specified deadline',
          }
        : undefined;
      this.setStatus(pod, terminatedStatus(containers, startedAt, results, deadline));
    } finally {
      await rm(podDir, { recursive: true, force: true });
    }
  }

  /** Mounts volumes (retrying while a ConfigMap is missing) and starts every container. */
  private async startContainers(
    pod: KubeObject,
    node: SimNode,
    podDir: string,
  ): Promise<{ running: RunningContainer; argv: string[] }[] | undefined> {
    const out: { running: RunningContainer; argv: string[] }[] = [];
    for (const container of recs(specOf(pod)['containers'])) {
      const paths = await this.mountWithRetry(pod, node, container, podDir);
      if (paths === undefined) return undefined;
      const launch = this.launch(pod, node, container, paths, podDir);
      if (typeof launch === 'string') {
        this.setStatus(
          pod,
          terminatedStatus(this.containers(pod), now(), [
            { exitCode: 128, reason: 'StartError', message: launch },
          ]),
        );
        return undefined;
      }
      out.push(launch);
    }
    this.running.set(
      pod.metadata.uid ?? '',
      out.map((c) => c.running),
    );
    return out;
  }

  private async mountWithRetry(
    pod: KubeObject,
    node: SimNode,
    container: Rec,
    podDir: string,
  ): Promise<PathMap | undefined> {
    const socketPath = node.socketPath ?? '';
    const ctx = {
      store: this.opts.store,
      namespace: pod.metadata.namespace ?? 'default',
      dir: podDir,
      socketPath,
    };
    for (;;) {
      if (
        this.stopped ||
        this.opts.store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '') === undefined
      ) {
        return undefined;
      }
      const result = await prepareMounts(ctx, pod, container);
      if (result.ok) return result.paths;
      if (!result.retry) {
        this.setStatus(
          pod,
          pendingStatus(this.containers(pod), 'CreateContainerConfigError', result.reason),
        );
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private launch(
    pod: KubeObject,
    node: SimNode,
    container: Rec,
    paths: PathMap,
    podDir: string,
  ): { running: RunningContainer; argv: string[] } | string {
    const termPath =
      typeof container['terminationMessagePath'] === 'string'
        ? container['terminationMessagePath']
        : '/dev/termination-log';
    const terminationFile = join(podDir, 'termination-log');
    const termination: readonly [string, string] = [termPath, terminationFile];
    const all: PathMap = [...paths, termination].sort((a, b) => b[0].length - a[0].length);
    const { program, podArgs } = this.argv(container);
    // Only the pod's own arguments hold container paths; the simulator's worker command is a
    // host path already (and may well live under /tmp, which pods also mount).
    const argv = [...program, ...podArgs.map((a) => translate(a, all))];
    const env = this.env(pod, node, container, all);
    const problem = unsafe([...argv, ...Object.values(env)], node.socketPath);
    if (problem !== undefined) return problem;
    const spec = specOf(pod);
    const deadline =
      typeof spec['activeDeadlineSeconds'] === 'number'
        ? spec['activeDeadlineSeconds'] * 1000
        : undefined;
    const running = runContainer({
      argv,
      env,
      cwd: this.opts.cwd ?? process.cwd(),
      terminationFile,
      fallbackToLogs: container['terminationMessagePolicy'] === 'FallbackToLogsOnError',
      ...(deadline === undefined ? {} : { deadlineMs: deadline }),
    });
    return { running, argv };
  }

  /** The host program standing in for the image's `eraser`, and the pod's own arguments. */
  private argv(container: Rec): { program: string[]; podArgs: string[] } {
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    const command = strings(container['command']);
    const args = strings(container['args']);
    const [head, ...rest] = command;
    const isWorker = head === undefined || head === 'eraser' || head.endsWith('/eraser');
    if (isWorker) return { program: [...this.opts.workerCommand], podArgs: [...rest, ...args] };
    return { program: [], podArgs: [...command, ...args] };
  }

  private env(
    pod: KubeObject,
    node: SimNode,
    container: Rec,
    paths: PathMap,
  ): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      // Belt and braces: a worker that forgot -r still talks to this node's sandbox only.
      ERASER_RUNTIME_ENDPOINT: `unix://${node.socketPath ?? ''}`,
    };
    const fields: Rec = {
      'spec.nodeName': node.spec.name,
      'metadata.name': pod.metadata.name,
      'metadata.namespace': pod.metadata.namespace,
      'status.podIP': '127.0.0.1',
    };
    for (const item of recs(container['env'])) {
      const name = typeof item['name'] === 'string' ? item['name'] : '';
      const ref =
        isRecord(item['valueFrom']) && isRecord(item['valueFrom']['fieldRef'])
          ? item['valueFrom']['fieldRef']['fieldPath']
          : undefined;
      const value =
        typeof item['value'] === 'string'
          ? item['value']
          : typeof ref === 'string'
            ? fields[ref]
            : undefined;
      if (name !== '' && typeof value === 'string') env[name] = translate(value, paths);
    }
    return env;
  }
}

/**
 * Refuses to start a process that names any runtime socket other than this node's sandbox
 * socket: the simulator must never let a worker reach the host's real containerd.
 */
function unsafe(strings: readonly string[], socketPath: string | undefined): string | undefined {
  for (const text of strings) {
    for (const match of text.matchAll(/(?:unix:\/\/)?(\/[^\s,;:"'=]*\.sock)\b/g)) {
      if (match[1] !== socketPath) return `refused: ${text} names a socket that is not this node's`;
    }
    if (/\/run\/containerd\b|\/var\/run\//.test(text))
      return `refused: ${text} names a host runtime path`;
  }
  return undefined;
}
