/**
 * Watch streams: newline-delimited JSON events over a chunked 200 response, as the apiserver
 * sends them. Resumes replay the store's history; a resume older than the history gets an
 * ERROR event carrying a 410 Expired Status, then the stream ends.
 */

import type { ServerResponse } from 'node:http';

import { ApiError, badRequest } from './errors.js';
import { present } from './objects.js';
import { groupVersion, resourceKey, type ResourceType } from './resources.js';
import { selects, type Selector } from './selectors.js';
import type { ObjectStore } from './store.js';
import type { KubeObject, StoreEvent } from './types.js';

export interface WatchRequest {
  rt: ResourceType;
  version: string;
  namespace: string | undefined;
  selector: Selector;
  /** The `resourceVersion` query value; undefined or '' or '0' start with the current state. */
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  /** `sendInitialEvents`; undefined keeps the legacy rule (initial events only without RV). */
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
}

type OutType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

interface Watcher {
  request: WatchRequest;
  key: string;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
}

/** Decides what a watcher with this selector sees for one change (the apiserver's rules). */
export function translate(event: StoreEvent, selector: Selector): OutType | undefined {
  const now = selects(selector, event.object);
  const before = event.previous !== undefined && selects(selector, event.previous);
  if (event.type === 'ADDED') return now ? 'ADDED' : undefined;
  if (event.type === 'DELETED') return now || before ? 'DELETED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw badRequest(`resourceVersion: Invalid value: "${value}": must be a number`);
  }
  return Number(value);
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private countWaiters: { count: number; resolve: () => void }[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    this.unsubscribe = store.onChange((event) => {
      this.dispatch(event);
    });
  }

  /** Number of watch streams currently open. */
  openCount(): number {
    return this.watchers.size;
  }

  /** Resolves once exactly `count` streams are open (e.g. "the informer is watching"). */
  whenOpen(count: number): Promise<void> {
    if (this.watchers.size === count) return Promise.resolve();
    return new Promise((resolve) => this.countWaiters.push({ count, resolve }));
  }

  /** Starts a watch stream on `res`; throws ApiError (before any byte is sent) on bad input. */
  open(request: WatchRequest, res: ServerResponse): void {
    const rv = request.resourceVersion ?? '';
    const since = rv === '' || rv === '0' ? undefined : parseVersion(rv);
    const key = resourceKey(request.rt);
    const replay = since === undefined ? undefined : this.store.changesSince(key, since);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    if (replay === 'expired') {
      this.sendExpired(res, since ?? 0);
      return;
    }
    const watcher: Watcher = { request, key, res, timers: [] };
    this.watchers.add(watcher);
    res.on('close', () => {
      this.forget(watcher);
    });
    this.sendStart(watcher, replay);
    this.arm(watcher);
    this.notifyCount();
  }

  private notifyCount(): void {
    const size = this.watchers.size;
    const ready = this.countWaiters.filter((w) => w.count === size);
    this.countWaiters = this.countWaiters.filter((w) => w.count !== size);
    for (const w of ready) w.resolve();
  }

  /** Ends every open stream cleanly, as an apiserver restart or idle proxy would. */
  dropAll(): number {
    const count = this.watchers.size;
    for (const watcher of [...this.watchers]) this.end(watcher);
    return count;
  }

  /** Ends the streams of one resource (its CRD was deleted). */
  dropResource(key: string): void {
    for (const watcher of [...this.watchers]) if (watcher.key === key) this.end(watcher);
  }

  stop(): void {
    this.unsubscribe();
    this.dropAll();
  }

  private sendStart(watcher: Watcher, replay: StoreEvent[] | undefined): void {
    const { request } = watcher;
    const initial = request.sendInitialEvents ?? replay === undefined;
    if (replay !== undefined) for (const event of replay) this.deliver(watcher, event);
    if (!initial) return;
    const objects = this.store.list(watcher.key, request.namespace);
    for (const obj of objects.filter((o) => selects(request.selector, o))) {
      this.send(watcher, 'ADDED', obj);
    }
    if (request.sendInitialEvents === true && request.allowBookmarks) {
      this.sendBookmark(watcher, { 'k8s.io/initial-events-end': 'true' });
    }
  }

  private arm(watcher: Watcher): void {
    const { request } = watcher;
    if (request.allowBookmarks) {
      const timer = setInterval(() => {
        this.sendBookmark(watcher, undefined);
      }, this.bookmarkIntervalMs);
      watcher.timers.push(timer);
    }
    if (request.timeoutSeconds !== undefined) {
      const timer = setTimeout(() => {
        this.end(watcher);
      }, request.timeoutSeconds * 1000);
      watcher.timers.push(timer);
    }
  }

  private dispatch(event: StoreEvent): void {
    for (const watcher of this.watchers) {
      if (watcher.key === event.resource) this.deliver(watcher, event);
    }
  }

  private deliver(watcher: Watcher, event: StoreEvent): void {
    const ns = watcher.request.namespace;
    if (ns !== undefined && event.object.metadata.namespace !== ns) return;
    const type = translate(event, watcher.request.selector);
    if (type !== undefined) this.send(watcher, type, event.object);
  }

  private send(watcher: Watcher, type: OutType, obj: KubeObject): void {
    const { rt, version } = watcher.request;
    const object = present(obj, rt, version);
    watcher.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private sendBookmark(watcher: Watcher, annotations: Record<string, string> | undefined): void {
    const { rt, version } = watcher.request;
    const metadata: Record<string, unknown> = { resourceVersion: this.store.resourceVersion() };
    if (annotations !== undefined) metadata['annotations'] = annotations;
    const object = { kind: rt.kind, apiVersion: groupVersion(rt.group, version), metadata };
    watcher.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  private sendExpired(res: ServerResponse, since: number): void {
    const oldest = this.store.oldestResumable() + 1;
    const message = `too old resource version: ${since} (${oldest})`;
    const status = new ApiError(410, 'Expired', message).toStatus();
    res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  }

  private end(watcher: Watcher): void {
    this.forget(watcher);
    watcher.res.end();
  }

  private forget(watcher: Watcher): void {
    for (const timer of watcher.timers) clearTimeout(timer);
    watcher.timers = [];
    if (this.watchers.delete(watcher)) this.notifyCount();
  }
}
