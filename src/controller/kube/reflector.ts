import type { Logger } from '../../logger.js';
import { at, str } from './read.js';
import { apiFailure } from './errors.js';
import { realSleep, type Sleep } from './retry.js';

/** One page of a list call, in the shape every typed list method returns. */
export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

/** Where a reflector lists and watches one kind of object. */
export interface ReflectorSource {
  /** For logs and metrics: `pods`, `imagejobs`. */
  readonly name: string;
  /** The watch path, e.g. `/api/v1/namespaces/eraser-system/pods`. */
  readonly path: string;
  readonly labelSelector?: string;
  list(page: { limit: number; continueToken?: string }): Promise<ListPage>;
}

/** The watch function of `@kubernetes/client-node`'s `Watch` class. */
export type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, object: unknown) => void,
  onDone: (err: unknown) => void,
) => Promise<{ abort(): void }>;

export type ChangeType = 'added' | 'updated' | 'deleted';
export type ChangeHandler<T> = (type: ChangeType, obj: T, old: T | undefined) => void;

export interface ReflectorDeps {
  readonly watch: WatchFn;
  readonly log: Logger;
  readonly sleep?: Sleep;
  /** Items per list page; pages keep a large first list from arriving as one huge body. */
  readonly pageSize?: number;
}

interface Entry<T> {
  readonly obj: T;
  readonly rv: string;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

function resourceVersionOf(raw: unknown): string {
  return str(at(raw, 'metadata', 'resourceVersion')) ?? '';
}

/**
 * Keeps a local copy of one kind of object: lists once, then follows a watch from the listed
 * resourceVersion. A watch that ends is resumed where it stopped; one that is too old (410 Gone)
 * leads to a fresh list whose differences are reported as changes, so a deletion missed while
 * disconnected still reaches the handlers. Objects are reduced by `transform` on arrival.
 */
export class Reflector<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly handlers: ChangeHandler<T>[] = [];
  private readonly sleep: Sleep;
  private resourceVersion = '';
  private stopped = false;
  private current: { abort(): void } | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private loop: Promise<void> | undefined;
  synced = false;

  constructor(
    readonly source: ReflectorSource,
    private readonly transform: (raw: unknown) => T | undefined,
    private readonly keyOf: (obj: T) => string,
    private readonly deps: ReflectorDeps,
  ) {
    this.sleep = deps.sleep ?? realSleep;
  }

  /** A method, not the field, so checks after an await are not narrowed away by the compiler. */
  private isStopped(): boolean {
    return this.stopped;
  }

  onChange(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.obj;
  }

  values(): T[] {
    return [...this.entries.values()].map((e) => e.obj);
  }

  /** Lists (retrying until it works or `stop` is called), then watches in the background. */
  async start(): Promise<void> {
    while (!this.stopped && !(await this.relist())) await this.pause();
    this.synced = !this.stopped;
    this.loop = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    await this.loop;
  }

  private async pause(): Promise<void> {
    const jitter = 0.5 + Math.random() / 2;
    await this.sleep(Math.round(this.backoffMs * jitter));
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  /** Lists every page and reconciles the cache with it; false when the list failed. */
  private async relist(): Promise<boolean> {
    const fresh = new Map<string, Entry<T>>();
    let continueToken: string | undefined;
    let rv: string;
    try {
      do {
        const page = await this.source.list({
          limit: this.deps.pageSize ?? 500,
          ...(continueToken === undefined ? {} : { continueToken }),
        });
        for (const raw of page.items) this.collect(fresh, raw);
        continueToken = page.continueToken === '' ? undefined : page.continueToken;
        rv = page.resourceVersion;
      } while (continueToken !== undefined && !this.stopped);
    } catch (err: unknown) {
      const { status } = apiFailure(err);
      this.deps.log.warn({ resource: this.source.name, status, err }, 'list failed, will retry');
      return false;
    }
    this.replaceAll(fresh);
    this.resourceVersion = rv;
    this.backoffMs = MIN_BACKOFF_MS;
    return true;
  }

  private collect(into: Map<string, Entry<T>>, raw: unknown): void {
    const obj = this.transform(raw);
    if (obj !== undefined) into.set(this.keyOf(obj), { obj, rv: resourceVersionOf(raw) });
  }

  private replaceAll(fresh: Map<string, Entry<T>>): void {
    const previous = new Map(this.entries);
    this.entries.clear();
    for (const [key, entry] of fresh) {
      this.entries.set(key, entry);
      const old = previous.get(key);
      previous.delete(key);
      if (old === undefined) this.emit('added', entry.obj, undefined);
      else if (old.rv !== entry.rv) this.emit('updated', entry.obj, old.obj);
    }
    for (const old of previous.values()) this.emit('deleted', old.obj, old.obj);
  }

  private emit(type: ChangeType, obj: T, old: T | undefined): void {
    for (const handler of this.handlers) {
      try {
        handler(type, obj, old);
      } catch (err: unknown) {
        this.deps.log.error({ resource: this.source.name, err }, 'change handler threw');
      }
    }
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.resourceVersion === '' && !(await this.relist())) {
        await this.pause();
        continue;
      }
      const err = await this.watchOnce();
      if (this.isStopped()) return;
      if (err !== undefined) await this.afterWatchError(err);
    }
  }

  private async afterWatchError(err: unknown): Promise<void> {
    const failure = apiFailure(err);
    if (failure.status === 410) this.resourceVersion = '';
    // A too-old resourceVersion (410, or an ERROR event) is answered by listing again at once.
    if (this.resourceVersion === '') return;
    // An idle watch timed out on our side: resume at once, nothing is wrong.
    if (failure.reason === 'Timeout') return;
    this.deps.log.warn({ resource: this.source.name, status: failure.status, err }, 'watch failed');
    await this.pause();
  }

  /** Follows one watch connection until it ends; resolves with the error that ended it. */
  private watchOnce(): Promise<unknown> {
    return new Promise((resolve) => {
      const query = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: this.source.labelSelector,
      };
      const onDone = (err: unknown): void => {
        this.current = undefined;
        resolve(err ?? undefined);
      };
      this.deps
        .watch(
          this.source.path,
          query,
          (type, obj) => {
            this.onEvent(type, obj);
          },
          onDone,
        )
        .then((handle) => {
          this.current = handle;
          if (this.stopped) handle.abort();
        })
        .catch(onDone);
    });
  }

  private onEvent(type: string, raw: unknown): void {
    if (type === 'ERROR') {
      if (at(raw, 'code') === 410) this.resourceVersion = '';
      this.current?.abort();
      return;
    }
    const rv = resourceVersionOf(raw);
    if (rv !== '') this.resourceVersion = rv;
    this.backoffMs = MIN_BACKOFF_MS;
    if (type === 'BOOKMARK') return;
    const obj = this.transform(raw);
    if (obj === undefined) return;
    this.apply(type, obj, rv);
  }

  private apply(type: string, obj: T, rv: string): void {
    const key = this.keyOf(obj);
    const old = this.entries.get(key);
    if (type === 'DELETED') {
      if (old === undefined) return;
      this.entries.delete(key);
      this.emit('deleted', obj, old.obj);
      return;
    }
    this.entries.set(key, { obj, rv });
    this.emit(old === undefined ? 'added' : 'updated', obj, old?.obj);
  }
}
