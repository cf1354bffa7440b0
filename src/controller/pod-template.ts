import type {
  V1Container,
  V1Pod,
  V1PodSpec,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';

import type { ComponentConfig, EraserConfig } from '../api/config.js';
import { parseQuantity } from '../api/quantity.js';
import { parseEndpoint } from '../runtime/endpoint.js';
import type { Plain } from './kube/read.js';
import { LABELS, MANAGER_NAME } from './labels.js';
import { WORKER_PATHS, type JobKind } from './pipeline.js';

/** A worker pod as the manager builds it: plain JSON in the shape of a V1Pod. */
export type WorkerPod = Plain<V1Pod>;

/** How worker pods run, from manager options rather than the EraserConfig. */
export interface WorkerPodOptions {
  readonly namespace: string;
  /** The worker's entrypoint in its image. */
  readonly command: readonly string[];
  readonly serviceAccountName?: string;
  /**
   * A non-root uid for the worker. Only works where the runtime socket lets that user in
   * (e.g. a group-readable socket plus `socketGroup`); containerd's default socket is root-only.
   */
  readonly runAsUser?: number;
  /** A group that may use the runtime socket, added to the worker's supplemental groups. */
  readonly socketGroup?: number;
  /** The kubelet stops a worker that runs longer than this (activeDeadlineSeconds). */
  readonly runTimeoutMs: number;
}

export interface TemplateInput {
  readonly kind: JobKind;
  readonly jobName: string;
  readonly configMapName: string;
  readonly config: EraserConfig;
  readonly args: readonly string[];
  readonly container: string;
  /** ConfigMap keys holding exclusion lists, and the file name each gets in the pod. */
  readonly exclusionFiles: readonly { readonly key: string; readonly path: string }[];
  readonly options: WorkerPodOptions;
}

type Resources = Record<string, string>;

function larger(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return (parseQuantity(a) ?? 0) >= (parseQuantity(b) ?? 0) ? a : b;
}

/** Element-wise largest request and limit; `0` and absent both mean "not set". */
function resourcesOf(components: readonly ComponentConfig[]): {
  requests: Resources;
  limits: Resources;
} {
  const pick = (side: 'request' | 'limit', key: 'mem' | 'cpu'): string | undefined => {
    const value = components.map((c) => c[side][key]).reduce(larger, undefined);
    return value === undefined || parseQuantity(value) === 0 ? undefined : value;
  };
  const section = (side: 'request' | 'limit'): Resources => {
    const out: Resources = {};
    const mem = pick(side, 'mem');
    const cpu = pick(side, 'cpu');
    if (mem !== undefined) out['memory'] = mem;
    if (cpu !== undefined) out['cpu'] = cpu;
    return out;
  };
  return { requests: section('request'), limits: section('limit') };
}

/** The components whose work the single worker container does. */
function componentsFor(kind: JobKind, config: EraserConfig): ComponentConfig[] {
  const { collector, scanner, remover } = config.components;
  if (kind === 'manual') return [remover];
  return [collector, ...(scanner.enabled ? [scanner] : []), remover];
}

function imageFor(kind: JobKind, config: EraserConfig): string {
  const { repo, tag } =
    kind === 'manual' ? config.components.remover.image : config.components.collector.image;
  return `${repo}:${tag}`;
}

function volumes(input: TemplateInput, socketPath: string): Plain<V1Volume>[] {
  const out: Plain<V1Volume>[] = [
    { name: 'runtime-socket', hostPath: { path: socketPath, type: 'Socket' } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  if (input.kind === 'manual') {
    const items = [{ key: 'images.json', path: 'images.json' }];
    out.push({ name: 'job', configMap: { name: input.configMapName, items } });
  }
  if (input.exclusionFiles.length > 0) {
    const items = input.exclusionFiles.map((f) => ({ key: f.key, path: f.path }));
    out.push({ name: 'exclusions', configMap: { name: input.configMapName, items } });
  }
  return out;
}

function mounts(input: TemplateInput): Plain<V1VolumeMount>[] {
  const out: Plain<V1VolumeMount>[] = [
    { name: 'runtime-socket', mountPath: WORKER_PATHS.socket },
    { name: 'tmp', mountPath: WORKER_PATHS.tmp },
  ];
  if (input.kind === 'manual') {
    out.push({ name: 'job', mountPath: WORKER_PATHS.jobDir, readOnly: true });
  }
  if (input.exclusionFiles.length > 0) {
    out.push({ name: 'exclusions', mountPath: WORKER_PATHS.exclusionDir, readOnly: true });
  }
  return out;
}

function securityContext(options: WorkerPodOptions): Plain<V1SecurityContext> {
  const nonRoot = options.runAsUser !== undefined && options.runAsUser !== 0;
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
    runAsNonRoot: nonRoot,
    runAsUser: options.runAsUser ?? 0,
  };
}

function container(input: TemplateInput): Plain<V1Container> {
  const { kind, config, options } = input;
  return {
    name: input.container,
    image: imageFor(kind, config),
    imagePullPolicy: 'IfNotPresent',
    command: [...options.command],
    args: [...input.args],
    env: [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'ERASER_TERMINATION_LOG', value: WORKER_PATHS.terminationLog },
    ],
    resources: resourcesOf(componentsFor(kind, config)),
    securityContext: securityContext(options),
    terminationMessagePath: WORKER_PATHS.terminationLog,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: mounts(input),
  };
}

function podSpec(input: TemplateInput, socketPath: string): Plain<V1PodSpec> {
  const { config, options } = input;
  const { socketGroup, serviceAccountName } = options;
  return {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    activeDeadlineSeconds: Math.max(1, Math.ceil(options.runTimeoutMs / 1000)),
    tolerations: [{ operator: 'Exists' }],
    ...(config.manager.priorityClassName === ''
      ? {}
      : { priorityClassName: config.manager.priorityClassName }),
    imagePullSecrets: config.manager.pullSecrets.map((name) => ({ name })),
    ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
    securityContext: {
      seccompProfile: { type: 'RuntimeDefault' },
      ...(socketGroup === undefined ? {} : { supplementalGroups: [socketGroup] }),
    },
    containers: [container(input)],
    volumes: volumes(input, socketPath),
  };
}

/**
 * The worker pod every node of a job gets, minus name, node and owner. Hardened: no service
 * account token, no capabilities, read-only root, seccomp RuntimeDefault, no privilege
 * escalation; the only host access is the runtime socket, mounted as a single socket file.
 * Throws InvalidEndpointError when the config's runtime address is not a unix socket.
 */
export function buildPodTemplate(input: TemplateInput): WorkerPod {
  const { socketPath } = parseEndpoint(input.config.manager.runtime.address);
  const labels = {
    ...input.config.manager.additionalPodLabels,
    [LABELS.name]: 'eraser-worker',
    [LABELS.partOf]: 'eraser',
    [LABELS.managedBy]: MANAGER_NAME,
    [LABELS.job]: input.jobName,
    [LABELS.type]: input.kind,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: input.options.namespace, labels },
    spec: podSpec(input, socketPath),
  };
}
