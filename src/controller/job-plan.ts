import type { V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';

import { IMAGE_JOB_CRD } from '../api/imagejob.js';
import type { ExclusionFile } from './exclusions.js';
import { at, num, rec, str, type Plain } from './kube/read.js';
import { LABELS, MANAGER_NAME } from './labels.js';
import type { JobKind } from './pipeline.js';
import type { WorkerPod } from './pod-template.js';

/** Settings a job keeps from the config it started under; later config edits do not touch it. */
export interface JobSettings {
  readonly successRatio: number;
  readonly delayOnSuccessMs: number;
  readonly delayOnFailureMs: number;
  readonly startTimeoutMs: number;
  readonly runTimeoutMs: number;
}

/**
 * Everything a job needs to carry on after a manager restart: which nodes it runs on, how many
 * it skipped, the pod every node gets, and its settings. Stored in the job's ConfigMap.
 */
export interface JobPlan {
  readonly kind: JobKind;
  readonly targets: readonly string[];
  readonly skipped: number;
  readonly settings: JobSettings;
  readonly template: WorkerPod;
}

/** A node whose failure cannot be read from a pod (pod timed out and deleted, node gone). */
export interface NodeFailure {
  readonly reason: string;
  readonly message: string;
}

export const PLAN_KEY = 'plan.json';
export const IMAGES_KEY = 'images.json';
export const FAILED_KEY = 'failed.json';

/**
 * The API server refuses a ConfigMap whose values total more than 1 MiB. Room is kept for
 * `failed.json`, which grows while the job runs (a node name and a reason per failed node).
 */
export const MAX_PLAN_DATA_BYTES = 1024 * 1024 - 64 * 1024;

/** Why a plan's ConfigMap cannot be stored: what is too big, by how much, and what fits. */
export interface PlanTooLarge {
  readonly reason: 'ImageListTooLarge' | 'PlanTooLarge';
  readonly message: string;
}

/**
 * Checks the ConfigMap's size before it is sent, so an ImageList too big to copy fails its job
 * with a message the user can act on instead of an API error retried forever.
 */
export function checkPlanSize(data: Readonly<Record<string, string>>): PlanTooLarge | undefined {
  const sizes = Object.entries(data).map(([k, v]) => [k, Buffer.byteLength(v)] as const);
  const total = sizes.reduce((sum, [, n]) => sum + n, 0);
  if (total <= MAX_PLAN_DATA_BYTES) return undefined;

  const images = sizes.find(([k]) => k === IMAGES_KEY)?.[1];
  if (images === undefined) {
    const message = `job plan is ${total} bytes; at most ${MAX_PLAN_DATA_BYTES} fit`;
    return { reason: 'PlanTooLarge', message };
  }
  const room = Math.max(0, MAX_PLAN_DATA_BYTES - (total - images));
  const message = `image list is ${images} bytes; at most ${room} fit`;
  return { reason: 'ImageListTooLarge', message };
}

export interface JobRef {
  readonly name: string;
  readonly uid: string;
}

export function ownerReference(job: JobRef): Plain<V1OwnerReference>[] {
  return [
    {
      apiVersion: 'eraser.sh/v1',
      kind: IMAGE_JOB_CRD.kind,
      name: job.name,
      uid: job.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

/** The job's ConfigMap: named after the job and owned by it, so it goes when the job goes. */
export function planConfigMap(
  job: JobRef,
  namespace: string,
  plan: JobPlan,
  images: readonly string[] | undefined,
  exclusions: readonly ExclusionFile[],
): Plain<V1ConfigMap> {
  const data: Record<string, string> = { [PLAN_KEY]: JSON.stringify(plan) };
  if (images !== undefined) data[IMAGES_KEY] = `${JSON.stringify(images, null, 1)}\n`;
  for (const file of exclusions) data[file.key] = file.content;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: job.name,
      namespace,
      labels: { [LABELS.job]: job.name, [LABELS.managedBy]: MANAGER_NAME },
      ownerReferences: ownerReference(job),
    },
    data,
  };
}

function settingsOf(raw: unknown): JobSettings | undefined {
  const values = {
    successRatio: num(at(raw, 'successRatio')),
    delayOnSuccessMs: num(at(raw, 'delayOnSuccessMs')),
    delayOnFailureMs: num(at(raw, 'delayOnFailureMs')),
    startTimeoutMs: num(at(raw, 'startTimeoutMs')),
    runTimeoutMs: num(at(raw, 'runTimeoutMs')),
  };
  const all = Object.values(values).every((v) => v !== undefined && v >= 0);
  return all ? (values as JobSettings) : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads a plan back; undefined when the ConfigMap was edited into something unusable. */
export function readPlan(data: Readonly<Record<string, string>> | undefined): JobPlan | undefined {
  const raw = parseJson(data?.[PLAN_KEY]);
  const kind = str(at(raw, 'kind'));
  const targets = at(raw, 'targets');
  const skipped = num(at(raw, 'skipped'));
  const settings = settingsOf(at(raw, 'settings'));
  const template = rec(at(raw, 'template'));
  if (kind !== 'manual' && kind !== 'automated') return undefined;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) return undefined;
  if (skipped === undefined || settings === undefined || template === undefined) return undefined;
  return { kind, targets: targets, skipped, settings, template: template };
}

/** Reads the recorded node failures; a damaged record reads as empty. */
export function readFailures(
  data: Readonly<Record<string, string>> | undefined,
): Map<string, NodeFailure> {
  const out = new Map<string, NodeFailure>();
  const raw = rec(parseJson(data?.[FAILED_KEY]));
  for (const [node, value] of Object.entries(raw ?? {})) {
    const reason = str(at(value, 'reason'));
    if (reason !== undefined) out.set(node, { reason, message: str(at(value, 'message')) ?? '' });
  }
  return out;
}

export function writeFailures(failures: ReadonlyMap<string, NodeFailure>): string {
  return JSON.stringify(Object.fromEntries(failures));
}
