import type { JobPlan, NodeFailure } from './job-plan.js';
import type { PodInfo } from './kube/objects.js';
import { podOutcome } from './outcome.js';

/** What the job knows about each of its nodes at one moment. */
export interface Tally {
  succeeded: number;
  failed: number;
  /** Pods pending or running. */
  active: number;
  /** Nodes that have no pod yet. */
  readonly toCreate: string[];
  /** Failures no pod will show once it is deleted: record them, then delete the pods. */
  readonly newFailures: Map<string, NodeFailure>;
  readonly toDelete: PodInfo[];
  /** The earliest moment a pending or running pod times out. */
  nextDeadlineMs?: number;
  /** Images removed, summed over the worker reports read so far. */
  removed: number;
  /** Every failed node with its reason, for metrics and messages. */
  readonly failures: Map<string, NodeFailure>;
}

/** In-memory facts about a job's pods that the cluster does not show directly. */
export interface PodMemory {
  /** Nodes whose pod this manager created (or found already there), and when. */
  readonly created: ReadonlyMap<string, number>;
  /** Nodes whose pod was seen in the cache at least once. */
  readonly seen: Set<string>;
}

const NODE_GONE: NodeFailure = {
  reason: 'NodeGone',
  message: 'the node was removed from the cluster before its pod finished',
};

const POD_GONE: NodeFailure = {
  reason: 'PodDeleted',
  message: 'the pod disappeared before it finished',
};

function isFinished(pod: PodInfo): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

function emptyTally(): Tally {
  return {
    succeeded: 0,
    failed: 0,
    active: 0,
    toCreate: [],
    newFailures: new Map(),
    toDelete: [],
    removed: 0,
    failures: new Map(),
  };
}

function fail(t: Tally, node: string, failure: NodeFailure, isNew: boolean): void {
  t.failed += 1;
  t.failures.set(node, failure);
  if (isNew) t.newFailures.set(node, failure);
}

function judgePod(t: Tally, node: string, pod: PodInfo, plan: JobPlan, nowMs: number): void {
  const timeouts = { startMs: plan.settings.startTimeoutMs, runMs: plan.settings.runTimeoutMs };
  const outcome = podOutcome(pod, nowMs, timeouts);
  if (outcome.state === 'succeeded') {
    t.succeeded += 1;
    t.removed += outcome.summary?.removed ?? 0;
  } else if (outcome.state === 'failed') {
    const failure = { reason: outcome.reason, message: outcome.message };
    fail(t, node, failure, outcome.deletePod);
    if (outcome.deletePod) t.toDelete.push(pod);
  } else {
    t.active += 1;
    t.nextDeadlineMs = Math.min(t.nextDeadlineMs ?? Infinity, outcome.deadlineMs);
  }
}

/** A pod we created that the cache has not shown yet: wait, but not past the start deadline. */
function awaitCache(t: Tally, node: string, memory: PodMemory, plan: JobPlan, nowMs: number): void {
  const deadlineMs = (memory.created.get(node) ?? nowMs) + plan.settings.startTimeoutMs;
  if (nowMs >= deadlineMs) {
    fail(t, node, POD_GONE, true);
    return;
  }
  t.active += 1;
  t.nextDeadlineMs = Math.min(t.nextDeadlineMs ?? Infinity, deadlineMs);
}

/**
 * Judges every target node of a job. Recorded failures stand (their pods may be gone); a pod
 * is judged by phase, exit code and deadlines, unless its node is gone; a node without a pod
 * either lost it (seen before, or its Node object is gone), awaits the cache after our create,
 * or still needs one.
 */
export function tallyJob(
  plan: JobPlan,
  pods: ReadonlyMap<string, PodInfo>,
  recorded: ReadonlyMap<string, NodeFailure>,
  memory: PodMemory,
  nodeExists: (node: string) => boolean,
  nowMs: number,
): Tally {
  const t = emptyTally();
  for (const node of plan.targets) {
    const failure = recorded.get(node);
    const pod = pods.get(node);
    if (failure !== undefined) fail(t, node, failure, false);
    else if (pod !== undefined) {
      memory.seen.add(node);
      if (nodeExists(node) || isFinished(pod)) judgePod(t, node, pod, plan, nowMs);
      else {
        fail(t, node, NODE_GONE, true);
        t.toDelete.push(pod);
      }
    } else if (!nodeExists(node)) fail(t, node, NODE_GONE, true);
    else if (memory.seen.has(node)) fail(t, node, POD_GONE, true);
    else if (memory.created.has(node)) awaitCache(t, node, memory, plan, nowMs);
    else t.toCreate.push(node);
  }
  return t;
}
