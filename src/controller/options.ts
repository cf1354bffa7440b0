import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

import type { EraserConfig } from '../api/config.js';
import type { Logger } from '../logger.js';
import { ManagerOptionError } from './errors.js';
import type { ClusterConnection } from './kube/connection.js';
import type { RetryPolicy } from './kube/retry.js';
import { DEFAULT_LEADER_TIMING } from './leader.js';
import type { ScannerStep } from './pipeline.js';

export interface LeaderElectionOptions {
  /** Lease name in the manager's namespace. Default `eraser-manager-leader`. */
  readonly leaseName?: string;
  /** This replica's name in the lease. Default: POD_NAME, else host name plus a random part. */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export interface WorkerOptions {
  /** The worker's entrypoint in its image. Default `["eraser"]`. */
  readonly command?: readonly string[];
  readonly serviceAccountName?: string;
  /** Run the worker as this uid (non-root needs a socket that lets it in, see README). */
  readonly runAsUser?: number;
  /** A gid allowed on the runtime socket, added as a supplemental group. */
  readonly socketGroup?: number;
}

/** Everything `runManager` / `startManager` accept. */
export interface ManagerOptions {
  /** The API server: `loadKubeConfig()` for a kubeconfig file or the pod's service account. */
  readonly connection: ClusterConnection;
  /** The manager's namespace (worker pods, ConfigMaps, lease). Default `eraser-system`. */
  readonly namespace?: string;
  /** The EraserConfig file; watched, and reloaded when it changes. */
  readonly configPath?: string;
  /** A fixed config instead of a file (tests, embedding). Default: all defaults. */
  readonly config?: EraserConfig;
  /** Where /healthz and /readyz listen, e.g. `:8081`. Absent: no probe server. */
  readonly healthAddress?: string;
  /** Where /metrics listens, e.g. `:8080`; the same address as health shares one server. */
  readonly metricsAddress?: string;
  /** Leader election on a Lease; `false` runs as the only manager (tests, one replica). */
  readonly leaderElection?: LeaderElectionOptions | false;
  readonly worker?: WorkerOptions;
  /** A worker pod still Pending after this long counts as failed. Default 5 minutes. */
  readonly podStartTimeoutMs?: number;
  /** A worker running longer than this is stopped and counts as failed. Default 1 hour. */
  readonly podRunTimeoutMs?: number;
  /** Pod creations in flight per job. Default 32. */
  readonly createConcurrency?: number;
  /** Least time between progress writes to a running job's status. Default 2 s. */
  readonly progressIntervalMs?: number;
  readonly scanner?: ScannerStep;
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** Options with every default filled in and every number checked. */
export interface ResolvedOptions {
  readonly namespace: string;
  readonly leader: Required<LeaderElectionOptions> | false;
  readonly worker: Required<Pick<WorkerOptions, 'command'>> & WorkerOptions;
  readonly podStartTimeoutMs: number;
  readonly podRunTimeoutMs: number;
  readonly createConcurrency: number;
  readonly progressIntervalMs: number;
  readonly identity: string;
}

const MINUTE = 60_000;

function positive(
  option: string,
  value: number | undefined,
  fallback: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new ManagerOptionError(option, value, `a number above 0 and at most ${max}`);
  }
  return value;
}

function defaultIdentity(): string {
  const pod = process.env['POD_NAME'];
  return pod !== undefined && pod !== '' ? pod : `${hostname()}_${randomUUID().slice(0, 8)}`;
}

function leaderOf(opts: ManagerOptions, identity: string): ResolvedOptions['leader'] {
  if (opts.leaderElection === false) return false;
  const le = opts.leaderElection ?? {};
  const resolved = {
    leaseName: le.leaseName ?? 'eraser-manager-leader',
    identity: le.identity ?? identity,
    leaseDurationMs: positive(
      'leaseDurationMs',
      le.leaseDurationMs,
      DEFAULT_LEADER_TIMING.leaseDurationMs,
      3_600_000,
    ),
    renewDeadlineMs: positive(
      'renewDeadlineMs',
      le.renewDeadlineMs,
      DEFAULT_LEADER_TIMING.renewDeadlineMs,
      3_600_000,
    ),
    retryPeriodMs: positive(
      'retryPeriodMs',
      le.retryPeriodMs,
      DEFAULT_LEADER_TIMING.retryPeriodMs,
      3_600_000,
    ),
  };
  if (resolved.renewDeadlineMs >= resolved.leaseDurationMs) {
    const allowed = `less than leaseDurationMs (${resolved.leaseDurationMs})`;
    throw new ManagerOptionError('renewDeadlineMs', resolved.renewDeadlineMs, allowed);
  }
  return resolved;
}

/** Fills in defaults and rejects unusable values before anything starts. */
export function resolveOptions(opts: ManagerOptions): ResolvedOptions {
  const identity = defaultIdentity();
  const namespace = opts.namespace ?? 'eraser-system';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ManagerOptionError('namespace', namespace, 'a namespace name (DNS label)');
  }
  const command = opts.worker?.command ?? ['eraser'];
  if (command.length === 0) throw new ManagerOptionError('worker.command', command, 'a command');
  return {
    namespace,
    identity,
    leader: leaderOf(opts, identity),
    worker: { ...opts.worker, command },
    podStartTimeoutMs: positive(
      'podStartTimeoutMs',
      opts.podStartTimeoutMs,
      5 * MINUTE,
      7 * 24 * 60 * MINUTE,
    ),
    podRunTimeoutMs: positive(
      'podRunTimeoutMs',
      opts.podRunTimeoutMs,
      60 * MINUTE,
      7 * 24 * 60 * MINUTE,
    ),
    createConcurrency: Math.floor(positive('createConcurrency', opts.createConcurrency, 32, 1000)),
    progressIntervalMs: positive('progressIntervalMs', opts.progressIntervalMs, 2000, 3_600_000),
  };
}
