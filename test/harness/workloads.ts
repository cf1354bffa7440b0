/**
 * Pods and containers on a harness containerd: host-network sandboxes (no CNI here) with
 * containers that keep running (`sleep 3600`) or have exited (`true`).
 */
import { randomBytes } from 'node:crypto';

import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/cri-requests.js';
import type { CriRuntime } from '../../src/runtime/cri-client.js';
import type { ContainerState } from '../../src/runtime/types.js';
import { HarnessError } from './errors.js';

export interface PodOptions {
  /** Pod name (default: a random `pod-…`). */
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Relative cgroup parent; the sandbox's `cgroupParent` lets teardown find stray processes. */
  readonly cgroupParent?: string;
}

export interface Pod {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly config: PodSandboxConfig;
}

const suffix = (): string => randomBytes(4).toString('hex');

/** Runs a pod sandbox in the node's network namespace (NamespaceOption.network = NODE). */
export async function runPod(runtime: CriRuntime, opts: PodOptions = {}): Promise<Pod> {
  const name = opts.name ?? `pod-${suffix()}`;
  const namespace = opts.namespace ?? 'default';
  const linux = {
    securityContext: { namespaceOptions: { network: 'NODE', pid: 'POD', ipc: 'POD' } },
    ...(opts.cgroupParent === undefined ? {} : { cgroupParent: opts.cgroupParent }),
  } as const;
  const config: PodSandboxConfig = {
    metadata: { name, namespace, uid: `uid-${suffix()}`, attempt: 0 },
    labels: opts.labels ?? {},
    linux,
  };
  const id = await runtime.runPodSandbox(config, { timeoutMs: 60_000 });
  return { id, name, namespace, config };
}

export type WantedState = 'running' | 'exited' | 'created';

export interface ContainerOptions {
  /** `running` (default): sleeps an hour; `exited`: runs `true` and waits until it exited. */
  readonly state?: WantedState;
  readonly name?: string;
  /** Overrides the command picked for the state. */
  readonly command?: readonly string[];
  /** Bound on waiting for the wanted state (default 30 s). */
  readonly waitMs?: number;
}

export interface StartedContainer {
  readonly id: string;
  readonly podSandboxId: string;
  readonly name: string;
  readonly image: string;
  readonly state: ContainerState;
}

const COMMANDS: Readonly<Record<WantedState, readonly string[]>> = {
  running: ['/bin/sleep', '3600'],
  exited: ['/bin/true'],
  created: ['/bin/true'],
};

/** Creates (and unless `created` is wanted, starts) a container in `pod`, then waits for it. */
export async function runContainerInPod(
  runtime: CriRuntime,
  pod: Pod,
  image: string,
  opts: ContainerOptions = {},
): Promise<StartedContainer> {
  const state = opts.state ?? 'running';
  const name = opts.name ?? `ctr-${suffix()}`;
  const config: ContainerConfig = {
    metadata: { name, attempt: 0 },
    image: { image },
    command: opts.command ?? COMMANDS[state],
    linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER' } } },
  };
  const id = await runtime.createContainer(pod.id, config, pod.config, { timeoutMs: 60_000 });
  if (state !== 'created') await runtime.startContainer(id, { timeoutMs: 60_000 });

  await waitForState(runtime, id, state, opts.waitMs ?? 30_000);
  return { id, podSandboxId: pod.id, name, image, state };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls ContainerStatus until the container is in `state`; bounded. */
export async function waitForState(
  runtime: CriRuntime,
  id: string,
  state: ContainerState,
  boundMs: number,
): Promise<void> {
  const until = Date.now() + boundMs;
  let last: ContainerState = 'unknown';
  while (Date.now() < until) {
    last = (await runtime.containerStatus(id)).state;
    if (last === state) return;
    await sleep(25);
  }
  throw new HarnessError(
    'HARNESS_CONTAINER_STATE',
    `container ${id} did not reach state ${state} within ${boundMs} ms (last: ${last})`,
    { id, state, last },
  );
}
