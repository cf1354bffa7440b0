import type { ManagerContext } from './context.js';
import { countsText } from './job-messages.js';
import type { JobResult, JobRun } from './job-run.js';
import { IMAGE_LISTS } from './kube/api.js';
import type { ImageListInfo, JobInfo } from './kube/objects.js';
import { ANNOTATIONS } from './labels.js';
import { listStatus, runningConditions } from './list-status.js';

const LIST_API_VERSION = 'eraser.sh/v1';

/** The ImageList that asked for a manual job, if it is still the same object. */
export function ownerList(ctx: ManagerContext, job: JobInfo): ImageListInfo | undefined {
  if (job.owner?.kind !== 'ImageList') return undefined;
  const list = ctx.cache.lists.get(job.owner.name);
  return list !== undefined && list.uid === job.owner.uid ? list : undefined;
}

export function jobGeneration(job: JobInfo): number | undefined {
  const text = job.annotations[ANNOTATIONS.generation];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** A result rebuilt from the job's status, for a job that finished before a restart. */
function resultFromStatus(job: JobInfo): JobResult {
  const { desired, succeeded, failed, skipped } = job.status;
  const counts = { desired, succeeded, failed, skipped };
  const ok = job.status.phase === 'Completed';
  return {
    counts,
    succeeded: ok,
    reason: ok ? 'SuccessRatioMet' : 'SuccessRatioNotMet',
    message: `${job.name} finished on ${countsText(counts)}`,
  };
}

/**
 * Tells an ImageList how its job went: status counts, timestamp, observedGeneration and
 * conditions, plus Events. Idempotent: a list that already shows this generation is left alone.
 */
export class ListReporter {
  constructor(private readonly ctx: ManagerContext) {}

  /** Marks the list's run as under way: `Complete=False, reason=Running`, and an Event. */
  async started(job: JobInfo, message: string): Promise<void> {
    const list = ownerList(this.ctx, job);
    const generation = jobGeneration(job);
    if (list === undefined) return;
    const text = `${job.name} ${message}`;
    if (generation !== undefined) {
      const previous = list.status?.conditions ?? [];
      const conditions = runningConditions(previous, generation, text, this.ctx.now());
      await this.ctx.api.patchCustomStatus(IMAGE_LISTS, list.name, { conditions });
    }
    this.event(list, 'Normal', 'JobStarted', text);
  }

  async finished(job: JobInfo, run: JobRun): Promise<void> {
    const list = ownerList(this.ctx, job);
    const generation = jobGeneration(job);
    if (run.listInformed || list === undefined || generation === undefined) return;
    if ((list.status?.observedGeneration ?? -1) >= generation) {
      run.listInformed = true;
      return;
    }
    const result = run.result ?? resultFromStatus(job);
    const status = listStatus(
      list.status?.conditions ?? [],
      { ...result, generation },
      this.ctx.now(),
    );
    await this.ctx.api.patchCustomStatus(IMAGE_LISTS, list.name, status);
    run.listInformed = true;
    const type = result.succeeded ? 'Normal' : 'Warning';
    this.event(list, type, result.succeeded ? 'Succeeded' : 'Failed', result.message);
  }

  private event(
    list: ImageListInfo,
    type: 'Normal' | 'Warning',
    reason: string,
    msg: string,
  ): void {
    const target = {
      apiVersion: LIST_API_VERSION,
      kind: 'ImageList',
      name: list.name,
      uid: list.uid,
    };
    this.ctx.events.record(target, type, reason, msg);
  }
}
