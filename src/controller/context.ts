import type { EraserConfig } from '../api/config.js';
import type { Logger } from '../logger.js';
import type { ClusterCache } from './cluster.js';
import type { EventRecorder } from './events.js';
import type { KubeApi } from './kube/api.js';
import type { ManagerMetrics } from './metrics.js';
import type { PodTimeouts } from './outcome.js';
import type { ScannerStep } from './pipeline.js';
import type { WorkerPodOptions } from './pod-template.js';

/** What every controller of one manager shares. */
export interface ManagerContext {
  readonly api: KubeApi;
  readonly cache: ClusterCache;
  /** The manager's namespace: worker pods, job ConfigMaps, exclusion lists, the lease. */
  readonly namespace: string;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly metrics: ManagerMetrics;
  /** The config in force; reloaded when its file changes. Jobs copy what they need at start. */
  readonly config: () => EraserConfig;
  readonly worker: WorkerPodOptions;
  readonly timeouts: PodTimeouts;
  /** Pod creations in flight at once for one job. */
  readonly createConcurrency: number;
  /** Least time between two progress updates of a running job's status. */
  readonly progressIntervalMs: number;
  readonly scanner?: ScannerStep;
  readonly now: () => number;
}
