import type { Logger } from '../logger.js';

/** What one reconcile decided: a word for the log line, and when to look again. */
export interface ReconcileResult {
  readonly outcome: string;
  readonly requeueAfterMs?: number;
  /** Extra fields for the outcome log line (counts, job name). */
  readonly details?: Record<string, unknown>;
}

export type Reconcile = (key: string) => Promise<ReconcileResult>;

export interface WorkQueueOptions {
  readonly name: string;
  readonly log: Logger;
  /** Keys reconciled at the same time (never the same key twice at once). */
  readonly concurrency?: number;
  readonly baseRetryMs?: number;
  readonly maxRetryMs?: number;
  /** Told about each finished reconcile, for metrics. */
  readonly observe?: (outcome: string, durationMs: number, failed: boolean) => void;
}

/**
 * A keyed work queue in the manner of client-go's: a key added many times before it runs is
 * reconciled once; a key that changes while it runs is reconciled again right after; a failing
 * key is retried with exponential backoff; `addAfter` keeps only the earliest timer per key.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;

  constructor(
    private readonly reconcile: Reconcile,
    private readonly options: WorkQueueOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.pump();
  }

  /** Stops taking work and waits for reconciles in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.inFlight]);
  }

  add(key: string): void {
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing !== undefined && existing.at <= at) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 1;
    while (!this.stopped && this.running.size < limit && this.queue.length > 0) {
      const key = this.queue.shift();
      if (key === undefined) return;
      this.queued.delete(key);
      this.running.add(key);
      const work = this.process(key);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  private async process(key: string): Promise<void> {
    const started = performance.now();
    let result: ReconcileResult | undefined;
    try {
      result = await this.reconcile(key);
      this.failures.delete(key);
    } catch (err: unknown) {
      this.retryLater(key, err, performance.now() - started);
    }
    const durationMs = Math.round(performance.now() - started);
    if (result !== undefined) this.finished(key, result, durationMs);
    this.running.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }

  private finished(key: string, result: ReconcileResult, durationMs: number): void {
    const { name, log, observe } = this.options;
    log.info(
      { controller: name, key, outcome: result.outcome, durationMs, ...result.details },
      'reconciled',
    );
    observe?.(result.outcome, durationMs, false);
    if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
  }

  private retryLater(key: string, err: unknown, durationMs: number): void {
    const { name, log, observe } = this.options;
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const base = this.options.baseRetryMs ?? 500;
    const retryInMs = Math.min(this.options.maxRetryMs ?? 60_000, base * 2 ** (failures - 1));
    log.warn(
      { controller: name, key, outcome: 'error', failures, retryInMs, err },
      'reconcile failed, will retry',
    );
    observe?.('error', Math.round(durationMs), true);
    this.addAfter(key, retryInMs);
  }
}
