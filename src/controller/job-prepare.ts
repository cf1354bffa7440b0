import { errorMessage } from '../errors.js';
import type { ManagerContext } from './context.js';
import { snapshotExclusions, type ExclusionFile } from './exclusions.js';
import type { JobPlan, JobSettings } from './job-plan.js';
import type { JobInfo } from './kube/objects.js';
import { ANNOTATIONS, LABELS } from './labels.js';
import { ownerList } from './list-reporter.js';
import { checkImages } from './list-status.js';
import { planNodes } from './nodes.js';
import { workerPipeline, type JobKind } from './pipeline.js';
import { buildPodTemplate, type WorkerPod } from './pod-template.js';

/** A plan ready to store, or why the job cannot run at all. */
export type PlanResult =
  | {
      readonly ok: true;
      readonly plan: JobPlan;
      readonly images?: readonly string[];
      readonly exclusions: readonly ExclusionFile[];
    }
  | { readonly ok: false; readonly reason: string; readonly message: string };

function refuse(reason: string, message: string): PlanResult {
  return { ok: false, reason, message };
}

export function jobKind(job: JobInfo): JobKind {
  return job.labels[LABELS.type] === 'automated' ? 'automated' : 'manual';
}

/** The images a manual job removes: its ImageList's, if it is still the generation asked for. */
function manualImages(ctx: ManagerContext, job: JobInfo): PlanResult | readonly string[] {
  const list = ownerList(ctx, job);
  if (list === undefined || list.deleting) {
    return refuse('ImageListGone', 'the ImageList that asked for this job no longer exists');
  }
  if (String(list.generation) !== job.annotations[ANNOTATIONS.generation]) {
    const message = `the ImageList changed (generation ${list.generation}) before the job started`;
    return refuse('Superseded', message);
  }
  const check = checkImages(list.images);
  return check.ok ? check.images : refuse(check.reason, check.message);
}

/** A scan may take the scanner's whole budget; the pod gets that plus room to remove. */
function runTimeoutMs(ctx: ManagerContext, kind: JobKind): number {
  const { scanner } = ctx.config().components;
  if (kind === 'manual' || !scanner.enabled) return ctx.timeouts.runMs;
  return Math.max(ctx.timeouts.runMs, scanner.config.timeout.totalMs + 10 * 60_000);
}

function settings(ctx: ManagerContext, kind: JobKind): JobSettings {
  const { imageJob } = ctx.config().manager;
  return {
    successRatio: imageJob.successRatio,
    delayOnSuccessMs: imageJob.cleanup.delayOnSuccessMs,
    delayOnFailureMs: imageJob.cleanup.delayOnFailureMs,
    startTimeoutMs: ctx.timeouts.startMs,
    runTimeoutMs: runTimeoutMs(ctx, kind),
  };
}

function template(
  ctx: ManagerContext,
  job: JobInfo,
  kind: JobKind,
  exclusions: readonly ExclusionFile[],
): WorkerPod | PlanResult {
  const config = ctx.config();
  const pipeline = workerPipeline(kind, config, exclusions.length > 0, ctx.scanner);
  if (!pipeline.ok) return refuse(pipeline.reason, pipeline.message);
  try {
    return buildPodTemplate({
      kind,
      jobName: job.name,
      configMapName: job.name,
      config,
      args: pipeline.args,
      container: pipeline.container,
      exclusionFiles: exclusions.map((f) => ({ key: f.key, path: f.path })),
      options: { ...ctx.worker, runTimeoutMs: runTimeoutMs(ctx, kind) },
    });
  } catch (err: unknown) {
    return refuse('RuntimeAddressInvalid', errorMessage(err));
  }
}

function isRefusal(value: unknown): value is PlanResult & { ok: false } {
  return typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;
}

/**
 * Decides what a new job does, from the cluster and config as they are now: the nodes (node
 * filter), the images (manual jobs), the exclusions and the worker pod.
 */
export function buildPlan(ctx: ManagerContext, job: JobInfo): PlanResult {
  const kind = jobKind(job);
  const images = kind === 'manual' ? manualImages(ctx, job) : undefined;
  if (isRefusal(images)) return images;

  const snapshot = snapshotExclusions(ctx.cache.exclusions.values());
  if (!snapshot.ok) return refuse('InvalidExclusions', snapshot.message);

  const pod = template(ctx, job, kind, snapshot.files);
  if (isRefusal(pod)) return pod;

  const nodes = planNodes(ctx.cache.nodes.values(), ctx.config().manager.nodeFilter);
  const plan: JobPlan = {
    kind,
    targets: nodes.targets,
    skipped: nodes.skipped.length,
    settings: settings(ctx, kind),
    template: pod as WorkerPod,
  };
  const base = { ok: true as const, plan, exclusions: snapshot.files };
  return images === undefined ? base : { ...base, images: images as readonly string[] };
}
