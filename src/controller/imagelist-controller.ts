import type { ManagerContext } from './context.js';
import { isActive } from './cluster.js';
import { IMAGE_JOBS, IMAGE_LISTS } from './kube/api.js';
import type { ImageListInfo, JobInfo } from './kube/objects.js';
import type { JobLauncher } from './launcher.js';
import { jobGeneration } from './list-reporter.js';
import { checkImages, listStatus } from './list-status.js';
import type { ReconcileResult } from './workqueue.js';

function ownedBy(list: { name: string; uid: string }, job: JobInfo): boolean {
  return job.owner?.kind === 'ImageList' && job.owner.uid === list.uid;
}

/**
 * Turns each ImageList generation into one manual ImageJob. Any list name works. A list whose
 * spec changes while its job runs gets a new job once that one finishes; a list with a bad
 * spec gets a status saying why and no job; a deleted list takes its running job with it.
 */
export class ImageListController {
  constructor(
    private readonly ctx: ManagerContext,
    private readonly launcher: JobLauncher,
  ) {}

  /** Lists whose current generation has not run yet (to wake them when a job finishes). */
  waiting(): string[] {
    return this.ctx.cache.lists
      .values()
      .filter((l) => !l.deleting && (l.status?.observedGeneration ?? -1) < l.generation)
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((l) => l.name);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const list = this.ctx.cache.lists.get(name);
    if (list === undefined || list.deleting) return this.cancel(name);
    const jobs = this.ctx.cache.jobs.values().filter((j) => ownedBy(list, j));
    const running = jobs.find(isActive);
    if (running !== undefined) return { outcome: 'job-running', details: { job: running.name } };
    if ((list.status?.observedGeneration ?? -1) >= list.generation)
      return { outcome: 'up-to-date' };
    if (jobs.some((j) => jobGeneration(j) === list.generation && !j.deleting)) {
      return { outcome: 'job-finished-reporting' };
    }
    const check = checkImages(list.images);
    if (!check.ok) return this.reject(list, check.reason, check.message);
    if (this.launcher.busy()) return { outcome: 'waiting-for-other-job' };
    const job = await this.launcher.launch('manual', list);
    return { outcome: 'launched', details: { job, generation: list.generation } };
  }

  /** The list is gone: stop its jobs now rather than wait for garbage collection. */
  private async cancel(name: string): Promise<ReconcileResult> {
    const orphans = this.ctx.cache.jobs
      .values()
      .filter((j) => j.owner?.kind === 'ImageList' && j.owner.name === name && isActive(j));
    await Promise.all(orphans.map((j) => this.ctx.api.deleteCustom(IMAGE_JOBS, j.name)));
    return { outcome: 'gone', details: { jobsStopped: orphans.length } };
  }

  /** No job for a spec that cannot run; an empty list counts as done. */
  private async reject(
    list: ImageListInfo,
    reason: string,
    message: string,
  ): Promise<ReconcileResult> {
    const succeeded = reason === 'NothingToRemove';
    const counts = { desired: 0, succeeded: 0, failed: 0, skipped: 0 };
    const status = listStatus(
      list.status?.conditions ?? [],
      { generation: list.generation, counts, succeeded, reason, message },
      this.ctx.now(),
    );
    await this.ctx.api.patchCustomStatus(IMAGE_LISTS, list.name, status);
    const target = {
      apiVersion: 'eraser.sh/v1',
      kind: 'ImageList',
      name: list.name,
      uid: list.uid,
    };
    this.ctx.events.record(target, succeeded ? 'Normal' : 'Warning', reason, message);
    return { outcome: 'rejected', details: { reason } };
  }
}
