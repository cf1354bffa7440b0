import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { JobKind } from './pipeline.js';

/**
 * The manager's Prometheus metrics, on a registry of its own (nothing global, so tests and
 * several managers in one process do not collide). Eraser reports the same facts over OTLP as
 * imagejob_run_total, pods_completed_run_total, pods_failed_run_total,
 * images_removed_run_total and imagejob_duration_run_seconds.
 */
export class ManagerMetrics {
  readonly registry = new Registry();

  readonly jobs = new Counter({
    name: 'eraser_imagejobs_total',
    help: 'ImageJobs finished, by type (manual, automated) and phase (Completed, Failed)',
    labelNames: ['type', 'phase'] as const,
    registers: [this.registry],
  });

  readonly podsCompleted = new Counter({
    name: 'eraser_pods_completed_total',
    help: 'Worker pods that finished successfully',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly podsFailed = new Counter({
    name: 'eraser_pods_failed_total',
    help: 'Worker pods that failed, timed out or lost their node, by reason',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });

  readonly imagesRemoved = new Counter({
    name: 'eraser_images_removed_total',
    help: 'Images removed by worker pods, from the reports in their termination messages',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'eraser_imagejob_duration_seconds',
    help: 'Time from ImageJob creation to its last pod finishing',
    labelNames: ['type', 'phase'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600],
    registers: [this.registry],
  });

  readonly reconciles = new Counter({
    name: 'eraser_reconcile_total',
    help: 'Reconciles, by controller and outcome',
    labelNames: ['controller', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'eraser_leader',
    help: '1 while this manager holds the leader lease',
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'eraser_config_reloads_total',
    help: 'Config file changes applied',
    registers: [this.registry],
  });

  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'eraser_' });
  }

  jobFinished(kind: JobKind, phase: string, durationSeconds: number): void {
    this.jobs.inc({ type: kind, phase });
    this.jobDuration.observe({ type: kind, phase }, Math.max(0, durationSeconds));
  }
}
