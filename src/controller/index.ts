/**
 * The eraser manager: ImageList and ImageJob controllers, the automated schedule, leader
 * election, probes and metrics. See README.md in this folder.
 */
import {
  inClusterConnection,
  kubeconfigConnection,
  type ClusterConnection,
} from './kube/connection.js';
import { startManager, type ManagerHandle } from './manager.js';
import type { ManagerOptions } from './options.js';

export { startManager, type ManagerHandle } from './manager.js';
export type { LeaderElectionOptions, ManagerOptions, WorkerOptions } from './options.js';
export { ManagerOptionError, LeadershipLostError, ControllerError } from './errors.js';
export type { ScannerStep } from './pipeline.js';
export type { ClusterConnection } from './kube/connection.js';

export interface RunManagerOptions extends ManagerOptions {
  /** Stops the manager when aborted (the CLI wires SIGTERM and SIGINT to it). */
  readonly signal?: AbortSignal;
}

/**
 * Runs the manager until `signal` aborts (then stops cleanly and resolves) or leadership is
 * lost (then rejects with LeadershipLostError, so the process exits and is restarted).
 */
export async function runManager(opts: RunManagerOptions): Promise<void> {
  const manager: ManagerHandle = await startManager(opts);
  const { signal } = opts;
  if (signal !== undefined) {
    if (signal.aborted) await manager.stop();
    else signal.addEventListener('abort', () => void manager.stop(), { once: true });
  }
  await manager.done;
}

/**
 * The cluster to manage: the kubeconfig file given, else the pod's service account. Nothing
 * else (no ~/.kube/config guess), so a manager never acts on a cluster nobody named.
 */
export function loadKubeConfig(file?: string): ClusterConnection {
  return file !== undefined && file !== '' ? kubeconfigConnection(file) : inClusterConnection();
}
