import type { Condition } from '../../api/condition.js';
import type { ImageJobPhase } from '../../api/imagejob.js';
import type { ImageListStatus } from '../../api/imagelist.js';
import { parseWorkerSummary, type WorkerSummary } from '../worker-report.js';
import { at, compact, list, num, rec, str, strMap, timeMs } from './read.js';

/**
 * The slim views of cluster objects the manager keeps in its caches. Only the fields decisions
 * need are kept, so that a cluster of thousands of nodes fits in a small memory limit.
 */

export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

export interface NodeInfo {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerInfo {
  readonly name: string;
  readonly state: 'waiting' | 'running' | 'terminated' | 'unknown';
  readonly exitCode?: number;
  /** Waiting reason (ErrImagePull, …) or terminated reason (Completed, Error, OOMKilled). */
  readonly reason?: string;
  /** Waiting message, or the start of the termination message. */
  readonly message?: string;
  /** The worker's report totals, when the termination message holds a report. */
  readonly summary?: WorkerSummary;
}

export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly jobName?: string;
  readonly nodeName?: string;
  readonly phase: PodPhase;
  readonly createdMs: number;
  /** When the kubelet accepted the pod (status.startTime). */
  readonly startedMs?: number;
  readonly deleting: boolean;
  /** Pod-level reason and message, e.g. DeadlineExceeded, Evicted. */
  readonly reason?: string;
  readonly message?: string;
  readonly containers: readonly ContainerInfo[];
}

export interface JobStatusInfo {
  readonly phase?: ImageJobPhase;
  readonly desired: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly deleteAfterMs?: number;
}

export interface JobInfo {
  readonly name: string;
  readonly uid: string;
  readonly createdMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly deleting: boolean;
  readonly owner?: ObjectRef;
  readonly status: JobStatusInfo;
}

export interface ImageListInfo {
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly createdMs: number;
  /** `spec.images` as found; validated by the ImageList controller, not here. */
  readonly images: unknown;
  readonly deleting: boolean;
  readonly status?: Partial<ImageListStatus>;
}

export interface ConfigMapInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly data: Readonly<Record<string, string>>;
  /** Keys of binaryData: exclusion lists are text, so these are reported and ignored. */
  readonly binaryKeys: readonly string[];
}

/** Messages are kept for failure explanations; reports are parsed on arrival, not kept. */
const MESSAGE_LIMIT = 512;

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  createdMs: number;
  deleting: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function meta(raw: unknown): Meta | undefined {
  const m = at(raw, 'metadata');
  const name = str(at(m, 'name'));
  if (name === undefined) return undefined;
  return {
    name,
    namespace: str(at(m, 'namespace')) ?? '',
    uid: str(at(m, 'uid')) ?? '',
    createdMs: timeMs(at(m, 'creationTimestamp')) ?? 0,
    deleting: at(m, 'deletionTimestamp') !== undefined && at(m, 'deletionTimestamp') !== null,
    labels: strMap(at(m, 'labels')),
    annotations: strMap(at(m, 'annotations')),
  };
}

function controllerOwner(raw: unknown): ObjectRef | undefined {
  const refs = list(at(raw, 'metadata', 'ownerReferences'));
  const owner = refs.find((r) => at(r, 'controller') === true) ?? refs[0];
  const kind = str(at(owner, 'kind'));
  const name = str(at(owner, 'name'));
  const uid = str(at(owner, 'uid'));
  return kind && name && uid ? { kind, name, uid } : undefined;
}

export function toNode(raw: unknown): NodeInfo | undefined {
  const m = meta(raw);
  return m && { name: m.name, uid: m.uid, labels: m.labels };
}

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MESSAGE_LIMIT ? text : text.slice(0, MESSAGE_LIMIT);
}

function toContainer(raw: unknown): ContainerInfo | undefined {
  const name = str(at(raw, 'name'));
  if (name === undefined) return undefined;
  const terminated = rec(at(raw, 'state', 'terminated'));
  if (terminated) {
    return {
      name,
      state: 'terminated',
      ...compact({
        exitCode: num(terminated['exitCode']),
        reason: str(terminated['reason']),
        message: clip(str(terminated['message'])),
        summary: parseWorkerSummary(str(terminated['message'])),
      }),
    };
  }
  const waiting = rec(at(raw, 'state', 'waiting'));
  if (waiting) {
    const details = { reason: str(waiting['reason']), message: clip(str(waiting['message'])) };
    return { name, state: 'waiting', ...compact(details) };
  }
  return { name, state: rec(at(raw, 'state', 'running')) ? 'running' : 'unknown' };
}

const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

export function toPod(raw: unknown, jobLabel: string): PodInfo | undefined {
  const m = meta(raw);
  if (m === undefined) return undefined;
  const phaseText = str(at(raw, 'status', 'phase'));
  const phase = PHASES.find((p) => p === phaseText) ?? 'Pending';
  const statuses = [
    ...list(at(raw, 'status', 'initContainerStatuses')),
    ...list(at(raw, 'status', 'containerStatuses')),
  ];
  const containers = statuses.map(toContainer).filter((c) => c !== undefined);
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    phase,
    createdMs: m.createdMs,
    deleting: m.deleting,
    containers,
    ...compact({
      jobName: m.labels[jobLabel],
      nodeName: str(at(raw, 'spec', 'nodeName')),
      startedMs: timeMs(at(raw, 'status', 'startTime')),
      reason: str(at(raw, 'status', 'reason')),
      message: clip(str(at(raw, 'status', 'message'))),
    }),
  };
}

const JOB_PHASES: readonly ImageJobPhase[] = ['Running', 'Completed', 'Failed'];

function count(value: unknown): number {
  const n = num(value);
  return n !== undefined && n >= 0 ? Math.floor(n) : 0;
}

function toJobStatus(raw: unknown): JobStatusInfo {
  const s = at(raw, 'status');
  const phaseText = str(at(s, 'phase'));
  return {
    desired: count(at(s, 'desired')),
    succeeded: count(at(s, 'succeeded')),
    failed: count(at(s, 'failed')),
    skipped: count(at(s, 'skipped')),
    ...compact({
      phase: JOB_PHASES.find((p) => p === phaseText),
      deleteAfterMs: timeMs(at(s, 'deleteAfter')),
    }),
  };
}

export function toJob(raw: unknown): JobInfo | undefined {
  const m = meta(raw);
  if (m === undefined) return undefined;
  return {
    name: m.name,
    uid: m.uid,
    createdMs: m.createdMs,
    labels: m.labels,
    annotations: m.annotations,
    deleting: m.deleting,
    status: toJobStatus(raw),
    ...compact({ owner: controllerOwner(raw) }),
  };
}

const CONDITION_STATUSES: readonly Condition['status'][] = ['True', 'False', 'Unknown'];

function toCondition(raw: unknown): Condition | undefined {
  const type = str(at(raw, 'type'));
  const statusText = str(at(raw, 'status'));
  const status = CONDITION_STATUSES.find((s) => s === statusText);
  const time = timeMs(at(raw, 'lastTransitionTime'));
  if (type === undefined || status === undefined || time === undefined) return undefined;
  return {
    type,
    status,
    lastTransitionTime: new Date(time).toISOString(),
    reason: str(at(raw, 'reason')) ?? '',
    message: str(at(raw, 'message')) ?? '',
    ...compact({ observedGeneration: num(at(raw, 'observedGeneration')) }),
  };
}

function toListStatus(raw: unknown): Partial<ImageListStatus> | undefined {
  const s = rec(at(raw, 'status'));
  if (s === undefined) return undefined;
  const timestamp = timeMs(s['timestamp']);
  const conditions = list(s['conditions'])
    .map(toCondition)
    .filter((c) => c !== undefined);
  return compact({
    conditions,
    success: num(s['success']),
    failed: num(s['failed']),
    skipped: num(s['skipped']),
    observedGeneration: num(s['observedGeneration']),
    timestamp: timestamp === undefined ? undefined : new Date(timestamp).toISOString(),
  });
}

export function toImageList(raw: unknown): ImageListInfo | undefined {
  const m = meta(raw);
  if (m === undefined) return undefined;
  return {
    name: m.name,
    uid: m.uid,
    generation: count(at(raw, 'metadata', 'generation')),
    createdMs: m.createdMs,
    images: at(raw, 'spec', 'images'),
    deleting: m.deleting,
    ...compact({ status: toListStatus(raw) }),
  };
}

export function toConfigMap(raw: unknown): ConfigMapInfo | undefined {
  const m = meta(raw);
  if (m === undefined) return undefined;
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    data: strMap(at(raw, 'data')),
    binaryKeys: Object.keys(rec(at(raw, 'binaryData')) ?? {}),
  };
}
