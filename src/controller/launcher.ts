import type { ManagerContext } from './context.js';
import { IMAGE_JOBS } from './kube/api.js';
import { str, at } from './kube/read.js';
import type { ImageListInfo } from './kube/objects.js';
import { ANNOTATIONS, LABELS, MANAGER_NAME } from './labels.js';
import type { JobKind } from './pipeline.js';

/** A label value must be at most 63 characters of a restricted set; list names may not be. */
function labelValue(text: string): string | undefined {
  return /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(text) ? text : undefined;
}

/**
 * Creates ImageJobs, one at a time cluster-wide: a job is only launched while no other job is
 * active, so a node never runs two workers at once and a restarted manager, which finds the
 * running job in its cache, never starts a second one.
 */
export class JobLauncher {
  /** Set from just before a create until the new job shows up in the cache. */
  private launching: string | undefined;

  constructor(private readonly ctx: ManagerContext) {
    ctx.cache.jobs.onChange((_type, job) => {
      if (job.name === this.launching) this.launching = undefined;
    });
  }

  busy(): boolean {
    return this.launching !== undefined || this.ctx.cache.activeJobs().length > 0;
  }

  /** Creates the ImageJob; the job controller plans and runs it. Returns the job's name. */
  async launch(kind: JobKind, list?: ImageListInfo): Promise<string> {
    this.launching = '';
    try {
      const created = await this.ctx.api.createCustom(IMAGE_JOBS, this.body(kind, list));
      const name = str(at(created, 'metadata', 'name')) ?? '';
      this.launching = this.ctx.cache.jobs.get(name) === undefined ? name : undefined;
      return name;
    } catch (err: unknown) {
      this.launching = undefined;
      throw err;
    }
  }

  private body(kind: JobKind, list: ImageListInfo | undefined): object {
    const labels: Record<string, string> = {
      [LABELS.type]: kind,
      [LABELS.managedBy]: MANAGER_NAME,
    };
    const listLabel = list === undefined ? undefined : labelValue(list.name);
    if (listLabel !== undefined) labels[LABELS.imageList] = listLabel;
    const metadata = {
      generateName: 'imagejob-',
      labels,
      ...(list === undefined
        ? {}
        : {
            annotations: { [ANNOTATIONS.generation]: String(list.generation) },
            ownerReferences: [
              {
                apiVersion: 'eraser.sh/v1',
                kind: 'ImageList',
                name: list.name,
                uid: list.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }),
    };
    return { apiVersion: 'eraser.sh/v1', kind: 'ImageJob', metadata };
  }
}
