import type { CoreV1Event } from '@kubernetes/client-node';

import type { Logger } from '../logger.js';
import type { KubeApi } from './kube/api.js';
import type { Plain } from './kube/read.js';
import type { ObjectRef } from './kube/objects.js';
import { MANAGER_NAME } from './labels.js';

export type EventType = 'Normal' | 'Warning';

/** What an event is about: a cluster-scoped eraser object. */
export interface EventTarget extends ObjectRef {
  readonly apiVersion: string;
}

/** The same event about the same object is not repeated within this window. */
const DEDUPE_MS = 10 * 60_000;
const MAX_MESSAGE = 1024;

/**
 * Records Kubernetes Events (`kubectl describe imagelist NAME` shows them). Events about
 * cluster-scoped objects go to the `default` namespace, as client-go's recorder puts them.
 * Recording never blocks or fails a reconcile: errors are logged and dropped.
 */
export class EventRecorder {
  private readonly recent = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly instance: string,
    private readonly namespace = 'default',
  ) {}

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const key = `${target.uid}/${reason}/${message}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < DEDUPE_MS) return;
    this.recent.set(key, now);
    this.prune(now);
    const work = this.send(this.event(target, type, reason, message, now));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Waits for events still being sent (on shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private prune(now: number): void {
    if (this.recent.size < 1000) return;
    for (const [key, at] of this.recent) if (now - at >= DEDUPE_MS) this.recent.delete(key);
  }

  private event(
    target: EventTarget,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Plain<CoreV1Event> {
    const time = new Date(now);
    return {
      metadata: { generateName: `${target.name}.`, namespace: this.namespace },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.name,
        uid: target.uid,
      },
      type,
      reason,
      message: message.slice(0, MAX_MESSAGE),
      source: { component: MANAGER_NAME },
      reportingComponent: MANAGER_NAME,
      reportingInstance: this.instance,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
  }

  private async send(body: Plain<CoreV1Event>): Promise<void> {
    try {
      await this.api.createEvent(this.namespace, body);
    } catch (err: unknown) {
      this.log.warn({ err, reason: body.reason }, 'event not recorded');
    }
  }
}
