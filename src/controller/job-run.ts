import type { JobPlan, NodeFailure } from './job-plan.js';
import type { JobCounts } from './ratio.js';

/** How a job ended, kept until its ImageList has been told. */
export interface JobResult {
  readonly counts: JobCounts;
  readonly succeeded: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * What the manager remembers about one ImageJob between reconciles. All of it can be rebuilt
 * from the cluster (the job's ConfigMap and pods) after a restart, except `created` and
 * `seen`, which only avoid duplicate requests and notice pods that vanished.
 */
export class JobRun {
  plan: JobPlan | undefined;
  /** Node failures recorded in the job's ConfigMap (or about to be: see `dirty`). */
  failures = new Map<string, NodeFailure>();
  dirty = false;
  readonly created = new Map<string, number>();
  readonly seen = new Set<string>();
  /** Pods we asked to delete, so one delete is sent per pod. */
  readonly deleted = new Set<string>();
  creating: Promise<void> | undefined;
  readonly abort = new AbortController();
  lastStatusMs = 0;
  lastStatus = '';
  /** Set once metrics and events for the end of the job were emitted. */
  accounted = false;
  result: JobResult | undefined;
  listInformed = false;

  constructor(readonly uid: string) {}

  recordFailures(failures: ReadonlyMap<string, NodeFailure>): void {
    for (const [node, failure] of failures) {
      if (this.failures.has(node)) continue;
      this.failures.set(node, failure);
      this.dirty = true;
    }
  }
}
