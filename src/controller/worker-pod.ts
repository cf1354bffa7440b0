import { createHash } from 'node:crypto';

import { ownerReference, type JobRef } from './job-plan.js';
import type { WorkerPod } from './pod-template.js';

const MAX_NAME = 253;

/**
 * The worker pod's name: `<job>-<node>`, the same every time, so a create repeated after a
 * restart answers AlreadyExists instead of starting a second pod on the node.
 */
export function workerPodName(job: string, node: string): string {
  const name = `${job}-${node}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(node).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_NAME - 11).replace(/[-.]+$/, '')}-${hash}`;
}

/** One node's pod from the job's template: bound to the node, owned by the job. */
export function stampPod(template: WorkerPod, job: JobRef, node: string): WorkerPod {
  const pod = structuredClone(template);
  pod.metadata = {
    ...pod.metadata,
    name: workerPodName(job.name, node),
    ownerReferences: ownerReference(job),
  };
  if (pod.spec !== undefined) pod.spec.nodeName = node;
  return pod;
}
