import type { V1ConfigMap } from '@kubernetes/client-node';
import pLimit from 'p-limit';

import { errorMessage } from '../errors.js';
import type { ManagerContext } from './context.js';
import { failuresByReason, jobSummary } from './job-messages.js';
import {
  checkPlanSize,
  FAILED_KEY,
  readFailures,
  readPlan,
  planConfigMap,
  writeFailures,
} from './job-plan.js';
import { buildPlan, jobKind } from './job-prepare.js';
import { JobRun, type JobResult } from './job-run.js';
import { tallyJob, type Tally } from './job-tally.js';
import { IMAGE_JOBS } from './kube/api.js';
import { apiFailure } from './kube/errors.js';
import type { JobInfo } from './kube/objects.js';
import type { Plain } from './kube/read.js';
import { ListReporter } from './list-reporter.js';
import { meetsRatio, type JobCounts } from './ratio.js';
import type { ReconcileResult } from './workqueue.js';
import { stampPod } from './worker-pod.js';

export interface JobHooks {
  /** Asks for another reconcile of a job (after pod creation finished). */
  readonly enqueue: (job: string) => void;
  /** Told when a job no longer blocks others (finished or gone). */
  readonly released: () => void;
}

type Loaded = { ok: true; run: JobRun } | { ok: false; reason: string; message: string };

const JOB_API_VERSION = 'eraser.sh/v1';

/** Too large (413) or invalid (422): the same body is refused again, so retrying cannot help. */
const REFUSED_BODY = new Set([413, 422]);

/** Client errors that retrying the same pod cannot fix (bad spec, forbidden, no namespace). */
function permanent(err: unknown): boolean {
  const { status } = apiFailure(err);
  return status >= 400 && status < 500 && status !== 409 && status !== 429;
}

/**
 * Drives each ImageJob: plans it (nodes, images, exclusions, worker pod) into its ConfigMap,
 * creates one pod per target node, judges pods as the pod cache changes (phase, exit code,
 * deadlines, lost nodes), writes progress now and then, completes the job against the success
 * ratio, tells the ImageList, and deletes the job when its `deleteAfter` comes. Every step
 * works from what the cluster shows, so a restarted manager picks a job up where it was.
 */
export class JobController {
  private readonly runs = new Map<string, JobRun>();
  private readonly reporter: ListReporter;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly hooks: JobHooks,
  ) {
    this.reporter = new ListReporter(ctx);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const job = this.ctx.cache.jobs.get(name);
    if (job === undefined || job.deleting) {
      this.drop(name, job);
      return { outcome: job === undefined ? 'gone' : 'deleting' };
    }
    const run = this.runFor(job);
    if (job.status.phase === undefined) return this.start(job, run);
    if (job.status.phase === 'Running') return this.progress(job, run);
    return this.finish(job, run);
  }

  private runFor(job: JobInfo): JobRun {
    const existing = this.runs.get(job.name);
    if (existing?.uid === job.uid) return existing;
    existing?.abort.abort();
    const run = new JobRun(job.uid);
    this.runs.set(job.name, run);
    return run;
  }

  private drop(name: string, job: JobInfo | undefined): void {
    const run = this.runs.get(name);
    if (run === undefined) return;
    run.abort.abort();
    this.runs.delete(name);
    if (!run.accounted && run.plan !== undefined) {
      this.ctx.log.info(
        { job: name, deleting: job?.deleting === true },
        'job stopped before it finished',
      );
      this.ctx.metrics.jobs.inc({ type: run.plan.kind, phase: 'Cancelled' });
    }
    this.hooks.released();
  }

  /** Reads the job's plan back from its ConfigMap, or (new job) builds and stores it. */
  private async load(job: JobInfo, run: JobRun, mayCreate: boolean): Promise<Loaded> {
    if (run.plan !== undefined) return { ok: true, run };
    const { api, namespace } = this.ctx;
    const stored = await api.readConfigMap(namespace, job.name);
    if (stored === undefined && !mayCreate) {
      return { ok: false, reason: 'PlanMissing', message: "the job's ConfigMap was deleted" };
    }
    if (stored !== undefined) return this.adopt(run, stored.data);
    const built = buildPlan(this.ctx, job);
    if (!built.ok) return built;
    const body = planConfigMap(job, namespace, built.plan, built.images, built.exclusions);
    const tooLarge = checkPlanSize(body.data ?? {});
    if (tooLarge !== undefined) return { ok: false, ...tooLarge };
    const created = await this.storePlan(body);
    if (created !== 'created' && created !== 'exists') return created;
    if (created === 'exists') return this.load(job, run, false);
    run.plan = built.plan;
    return { ok: true, run };
  }

  /** Creates the plan's ConfigMap; a body the API server refuses as such is the job's end. */
  private async storePlan(
    body: Plain<V1ConfigMap>,
  ): Promise<'created' | 'exists' | (Loaded & { ok: false })> {
    try {
      return await this.ctx.api.createConfigMap(this.ctx.namespace, body);
    } catch (err: unknown) {
      if (!REFUSED_BODY.has(apiFailure(err).status)) throw err;
      const message = `the API server refused the job's ConfigMap: ${errorMessage(err)}`;
      return { ok: false, reason: 'PlanRejected', message };
    }
  }

  private adopt(run: JobRun, data: Record<string, string> | undefined): Loaded {
    const plan = readPlan(data);
    if (plan === undefined) {
      return { ok: false, reason: 'PlanUnreadable', message: "the job's ConfigMap was altered" };
    }
    run.plan = plan;
    run.failures = readFailures(data);
    return { ok: true, run };
  }

  private async start(job: JobInfo, run: JobRun): Promise<ReconcileResult> {
    const loaded = await this.load(job, run, true);
    if (!loaded.ok) return this.refuse(job, run, loaded.reason, loaded.message);
    const plan = run.plan;
    if (plan === undefined) return { outcome: 'no-plan' };
    const status = {
      phase: 'Running',
      desired: plan.targets.length + plan.skipped,
      succeeded: 0,
      failed: 0,
      skipped: plan.skipped,
    };
    await this.ctx.api.patchCustomStatus(IMAGE_JOBS, job.name, status);
    const message = `running on ${plan.targets.length} nodes, skipping ${plan.skipped}`;
    this.jobEvent(job, 'Normal', 'Started', message);
    await this.reporter.started(job, message);
    return { outcome: 'started', details: { targets: plan.targets.length, skipped: plan.skipped } };
  }

  /** A job that cannot run at all: no pods, Failed at once, with the reason for the user. */
  private async refuse(
    job: JobInfo,
    run: JobRun,
    reason: string,
    message: string,
  ): Promise<ReconcileResult> {
    const counts: JobCounts = { desired: 0, succeeded: 0, failed: 0, skipped: 0 };
    run.result = { counts, succeeded: false, reason, message };
    run.accounted = true;
    // A superseded job's list already asks for a newer run; that run reports instead.
    if (reason === 'Superseded') run.listInformed = true;
    await this.reporter.finished(job, run);
    const deleteAfterMs =
      this.ctx.now() + this.ctx.config().manager.imageJob.cleanup.delayOnFailureMs;
    const deleteAfter = new Date(deleteAfterMs).toISOString();
    await this.ctx.api.patchCustomStatus(IMAGE_JOBS, job.name, {
      phase: 'Failed',
      ...counts,
      deleteAfter,
    });
    this.jobEvent(job, 'Warning', reason, message);
    this.ctx.metrics.jobFinished(jobKind(job), 'Failed', 0);
    this.hooks.released();
    return { outcome: 'refused', details: { reason } };
  }

  private async progress(job: JobInfo, run: JobRun): Promise<ReconcileResult> {
    const loaded = await this.load(job, run, false);
    if (!loaded.ok) return this.refuse(job, run, loaded.reason, loaded.message);
    const plan = run.plan;
    if (plan === undefined) return { outcome: 'no-plan' };
    const { cache } = this.ctx;
    const tally = tallyJob(
      plan,
      cache.podsOf(job.name),
      run.failures,
      run,
      (node) => cache.nodes.get(node) !== undefined,
      this.ctx.now(),
    );
    run.recordFailures(tally.newFailures);
    await this.saveFailures(job, run);
    await this.deletePods(run, tally);
    if (tally.toCreate.length > 0) this.createPods(job, run, tally.toCreate);
    if (tally.active === 0 && tally.toCreate.length === 0 && run.creating === undefined) {
      return this.complete(job, run, tally);
    }
    return this.running(job, run, tally);
  }

  private async saveFailures(job: JobInfo, run: JobRun): Promise<void> {
    if (!run.dirty) return;
    const data = { [FAILED_KEY]: writeFailures(run.failures) };
    await this.ctx.api.patchConfigMapData(this.ctx.namespace, job.name, data);
    run.dirty = false;
  }

  private async deletePods(run: JobRun, tally: Tally): Promise<void> {
    const pods = tally.toDelete.filter((p) => !p.deleting && !run.deleted.has(p.uid));
    for (const pod of pods) {
      run.deleted.add(pod.uid);
      const failure = tally.failures.get(pod.nodeName ?? '');
      this.ctx.log.warn({ pod: pod.name, node: pod.nodeName, ...failure }, 'worker pod given up');
    }
    await Promise.all(
      pods.map((p) => {
        const nodeGone = tally.failures.get(p.nodeName ?? '')?.reason === 'NodeGone';
        return this.ctx.api.deletePod(p.namespace, p.name, p.uid, nodeGone ? 0 : undefined);
      }),
    );
  }

  /** Creates missing pods in the background, a bounded number at a time. */
  private createPods(job: JobInfo, run: JobRun, nodes: readonly string[]): void {
    if (run.creating !== undefined) return;
    const limit = pLimit(this.ctx.createConcurrency);
    const work = Promise.all(nodes.map((node) => limit(() => this.createPod(job, run, node))));
    run.creating = work
      .then(() => undefined)
      .finally(() => {
        run.creating = undefined;
        if (!run.abort.signal.aborted) this.hooks.enqueue(job.name);
      });
  }

  private async createPod(job: JobInfo, run: JobRun, node: string): Promise<void> {
    const plan = run.plan;
    if (run.abort.signal.aborted || plan === undefined) return;
    const pod = stampPod(plan.template, job, node);
    try {
      await this.ctx.api.createPod(this.ctx.namespace, pod);
      run.created.set(node, this.ctx.now());
    } catch (err: unknown) {
      if (!permanent(err)) {
        this.ctx.log.warn({ job: job.name, node, err }, 'worker pod not created; will retry');
        return;
      }
      const message = `the API server refused the pod: ${errorMessage(err)}`;
      run.recordFailures(new Map([[node, { reason: 'PodCreateFailed', message }]]));
    }
  }

  private async running(job: JobInfo, run: JobRun, tally: Tally): Promise<ReconcileResult> {
    const plan = run.plan;
    const now = this.ctx.now();
    const counts = {
      desired: (plan?.targets.length ?? 0) + (plan?.skipped ?? 0),
      succeeded: tally.succeeded,
      failed: tally.failed,
      skipped: plan?.skipped ?? 0,
    };
    const text = JSON.stringify(counts);
    const dueMs = run.lastStatusMs + this.ctx.progressIntervalMs;
    if (text !== run.lastStatus && now >= dueMs) {
      await this.ctx.api.patchCustomStatus(IMAGE_JOBS, job.name, { phase: 'Running', ...counts });
      run.lastStatus = text;
      run.lastStatusMs = now;
    }
    const waits = [tally.nextDeadlineMs ?? Infinity];
    if (text !== run.lastStatus) waits.push(dueMs);
    const requeueAfterMs = Math.max(50, Math.min(...waits) - now + 10);
    const details = { ...counts, active: tally.active, creating: tally.toCreate.length };
    return Number.isFinite(requeueAfterMs)
      ? { outcome: 'running', details, requeueAfterMs }
      : { outcome: 'running', details };
  }

  private async complete(job: JobInfo, run: JobRun, tally: Tally): Promise<ReconcileResult> {
    const plan = run.plan;
    if (plan === undefined) return { outcome: 'no-plan' };
    const counts: JobCounts = {
      desired: plan.targets.length + plan.skipped,
      succeeded: tally.succeeded,
      failed: tally.failed,
      skipped: plan.skipped,
    };
    const ok = meetsRatio(counts, plan.settings.successRatio);
    const phase = ok ? 'Completed' : 'Failed';
    const delay = ok ? plan.settings.delayOnSuccessMs : plan.settings.delayOnFailureMs;
    const deleteAfter = new Date(this.ctx.now() + delay).toISOString();
    await this.ctx.api.patchCustomStatus(IMAGE_JOBS, job.name, { phase, ...counts, deleteAfter });
    const message = jobSummary(job.name, counts, plan.settings.successRatio, tally.failures);
    const reason = ok ? 'SuccessRatioMet' : 'SuccessRatioNotMet';
    run.result = { counts, succeeded: ok, reason, message };
    this.account(job, run, tally, phase);
    await this.reporter.finished(job, run);
    this.hooks.released();
    return { outcome: phase.toLowerCase(), details: { ...counts, removed: tally.removed } };
  }

  private account(job: JobInfo, run: JobRun, tally: Tally, phase: string): void {
    if (run.accounted || run.plan === undefined) return;
    run.accounted = true;
    const type = run.plan.kind;
    const { metrics } = this.ctx;
    metrics.jobFinished(type, phase, (this.ctx.now() - job.createdMs) / 1000);
    metrics.podsCompleted.inc({ type }, tally.succeeded);
    for (const [reason, n] of failuresByReason(tally.failures)) {
      metrics.podsFailed.inc({ type, reason }, n);
    }
    metrics.imagesRemoved.inc({ type }, tally.removed);
    const result = run.result as JobResult;
    this.jobEvent(job, phase === 'Completed' ? 'Normal' : 'Warning', phase, result.message);
  }

  /** A finished job: make sure its ImageList knows, then delete it when its time comes. */
  private async finish(job: JobInfo, run: JobRun): Promise<ReconcileResult> {
    await this.reporter.finished(job, run);
    this.hooks.released();
    const deleteAfterMs = job.status.deleteAfterMs ?? this.ctx.now();
    const waitMs = deleteAfterMs - this.ctx.now();
    if (waitMs > 0) return { outcome: 'kept', requeueAfterMs: waitMs + 10 };
    await this.ctx.api.deleteCustom(IMAGE_JOBS, job.name);
    this.jobEvent(job, 'Normal', 'Deleted', 'deleted with its pods and ConfigMap (deleteAfter)');
    return { outcome: 'deleted' };
  }

  private jobEvent(
    job: JobInfo,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    const target = { apiVersion: JOB_API_VERSION, kind: 'ImageJob', name: job.name, uid: job.uid };
    this.ctx.events.record(target, type, reason, message);
  }
}
