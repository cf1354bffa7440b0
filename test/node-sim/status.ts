/** Pod status shapes the simulated kubelet writes, as the real kubelet reports them. */

export interface ContainerSpecLite {
  readonly name: string;
  readonly image?: string;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason?: string,
): Record<string, unknown> {
  return { type, status, lastTransitionTime: now(), ...(reason === undefined ? {} : { reason }) };
}

/** Pending with every container waiting (ContainerCreating, ErrImagePull, …). */
export function pendingStatus(
  containers: readonly ContainerSpecLite[],
  reason = 'ContainerCreating',
  message?: string,
): Record<string, unknown> {
  return {
    phase: 'Pending',
    startTime: now(),
    conditions: [
      condition('PodScheduled', 'True'),
      condition('Ready', 'False', 'ContainersNotReady'),
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason, ...(message === undefined ? {} : { message }) } },
    })),
  };
}

export function runningStatus(
  containers: readonly ContainerSpecLite[],
  startedAt: string,
): Record<string, unknown> {
  return {
    phase: 'Running',
    startTime: startedAt,
    conditions: [condition('PodScheduled', 'True'), condition('Ready', 'True')],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt } },
    })),
  };
}

export interface Termination {
  readonly exitCode: number;
  readonly message?: string;
  readonly reason?: string;
}

/** Succeeded when every container exited 0, Failed otherwise. */
export function terminatedStatus(
  containers: readonly ContainerSpecLite[],
  startedAt: string,
  results: readonly Termination[],
  podReason?: { reason: string; message: string },
): Record<string, unknown> {
  const finishedAt = now();
  const ok = podReason === undefined && results.every((r) => r.exitCode === 0);
  return {
    phase: ok ? 'Succeeded' : 'Failed',
    startTime: startedAt,
    ...(podReason ?? {}),
    conditions: [condition('PodScheduled', 'True'), condition('Ready', 'False', 'PodCompleted')],
    containerStatuses: containers.map((c, i) => {
      const r = results[i] ?? { exitCode: 137, reason: 'Error' };
      const reason = r.reason ?? (r.exitCode === 0 ? 'Completed' : 'Error');
      const message = r.message === undefined || r.message === '' ? {} : { message: r.message };
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: r.exitCode, reason, startedAt, finishedAt, ...message } },
      };
    }),
  };
}
