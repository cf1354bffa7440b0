import { formatDuration } from '../api/duration.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { ContainerInfo, PodInfo } from './kube/objects.js';
import type { WorkerSummary } from './worker-report.js';

/** Deadlines for worker pods, from the manager's options. */
export interface PodTimeouts {
  /** A pod still Pending this long after creation counts as failed (and is deleted). */
  readonly startMs: number;
  /** A pod Running this long after it started counts as failed (and is deleted). */
  readonly runMs: number;
}

/** Where one node's worker pod stands, as far as the job is concerned. */
export type PodOutcome =
  | { readonly state: 'pending' | 'running'; readonly deadlineMs: number }
  | { readonly state: 'succeeded'; readonly summary?: WorkerSummary }
  | {
      readonly state: 'failed';
      readonly reason: string;
      readonly message: string;
      /** True when the pod is still there and must be deleted so it cannot run later. */
      readonly deletePod: boolean;
    };

/** Waiting reasons no amount of waiting fixes: fail at once instead of at the deadline. */
const HOPELESS_WAITING = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/** The meaning of `eraser run` exit codes, for failure reasons users read. */
const EXIT_REASONS: Readonly<Record<number, string>> = {
  [ExitCode.Internal]: 'WorkerError',
  [ExitCode.Usage]: 'WorkerBadInput',
  [ExitCode.RuntimeUnavailable]: 'RuntimeUnavailable',
  [ExitCode.PartialFailure]: 'PartialFailure',
  [ExitCode.Interrupted]: 'WorkerInterrupted',
};

function failed(reason: string, message: string, deletePod: boolean): PodOutcome {
  return { state: 'failed', reason, message, deletePod };
}

function firstFailure(containers: readonly ContainerInfo[]): ContainerInfo | undefined {
  return containers.find((c) => c.state === 'terminated' && (c.exitCode ?? 1) !== 0);
}

function failedPod(pod: PodInfo): PodOutcome {
  const bad = firstFailure(pod.containers);
  if (bad === undefined) {
    return failed(pod.reason ?? 'PodFailed', pod.message ?? 'the pod failed', false);
  }
  const exit = bad.exitCode ?? -1;
  const reason = EXIT_REASONS[exit] ?? (bad.reason === 'OOMKilled' ? 'OOMKilled' : 'WorkerError');
  const detail = bad.message === undefined ? '' : `: ${bad.message.trim().slice(0, 512)}`;
  return failed(reason, `container ${bad.name} exited with code ${exit}${detail}`, false);
}

function succeededPod(pod: PodInfo): PodOutcome {
  const summary = pod.containers.find((c) => c.summary !== undefined)?.summary;
  return summary === undefined ? { state: 'succeeded' } : { state: 'succeeded', summary };
}

function pendingPod(pod: PodInfo, nowMs: number, timeouts: PodTimeouts): PodOutcome {
  const hopeless = pod.containers.find(
    (c) => c.state === 'waiting' && HOPELESS_WAITING.has(c.reason ?? ''),
  );
  if (hopeless !== undefined) {
    const why = `${hopeless.reason ?? ''}: ${hopeless.message ?? 'the image cannot be used'}`;
    return failed('ImageUnusable', `container ${hopeless.name} cannot start (${why})`, true);
  }
  const deadlineMs = pod.createdMs + timeouts.startMs;
  if (nowMs < deadlineMs) return { state: 'pending', deadlineMs };
  const waiting = pod.containers.find((c) => c.state === 'waiting' && c.reason !== undefined);
  const why = waiting === undefined ? 'never started' : `still ${waiting.reason ?? ''}`;
  return failed('StartTimeout', `the pod ${why} within ${formatDuration(timeouts.startMs)}`, true);
}

function runningPod(pod: PodInfo, nowMs: number, timeouts: PodTimeouts): PodOutcome {
  const deadlineMs = (pod.startedMs ?? pod.createdMs) + timeouts.runMs;
  if (nowMs < deadlineMs) return { state: 'running', deadlineMs };
  const limit = formatDuration(timeouts.runMs);
  return failed('RunTimeout', `the worker did not finish within ${limit}`, true);
}

/** Judges one worker pod at `nowMs`. */
export function podOutcome(pod: PodInfo, nowMs: number, timeouts: PodTimeouts): PodOutcome {
  if (pod.phase === 'Succeeded') return succeededPod(pod);
  if (pod.phase === 'Failed') return failedPod(pod);
  if (pod.deleting) return failed('PodDeleted', 'the pod was deleted before it finished', false);
  if (pod.phase === 'Pending') return pendingPod(pod, nowMs, timeouts);
  return runningPod(pod, nowMs, timeouts);
}
