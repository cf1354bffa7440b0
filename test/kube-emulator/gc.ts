/**
 * The controllers the emulator runs in the background: the garbage collector (ownerReference
 * cascades: background, foreground, orphan; dangling owners) and the namespace controller
 * (deletes a terminating namespace's contents, then the namespace). Work is queued from store
 * events and done on later event-loop turns, as the real controllers act after the request.
 */

import { ApiError } from './errors.js';
import type { Logger } from '../../src/logger.js';
import { resourceKey, type ResourceRegistry } from './resources.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject, type StoreEvent } from './types.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

type Task = () => void;

function has(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

function deleting(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

function ns(obj: KubeObject): string | undefined {
  return obj.metadata.namespace;
}

function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? '';
}

export class BackgroundControllers {
  private readonly queue: Task[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly log: Logger,
  ) {
    this.unsubscribe = store.onChange((e) => {
      this.observe(e);
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.length = 0;
  }

  /** Resolves once no background work is queued (cascades have run as far as they can). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private observe(event: StoreEvent): void {
    const obj = event.object;
    const uid = obj.metadata.uid ?? '';
    if ((obj.metadata.ownerReferences ?? []).length > 0 && event.type !== 'DELETED') {
      this.enqueue(() => {
        this.attemptToDelete(event.resource, obj);
      });
    }
    if (event.type === 'DELETED') {
      for (const dep of this.store.dependentsOf(uid)) {
        this.enqueue(() => {
          this.attemptToDelete(dep.resource, dep.object);
        });
      }
      for (const ref of obj.metadata.ownerReferences ?? []) {
        this.enqueue(() => {
          this.finishForeground(ref.uid);
        });
      }
      if (ns(obj) !== undefined)
        this.enqueue(() => {
          this.finishNamespace(ns(obj) ?? '');
        });
      return;
    }
    if (deleting(obj)) this.observeDeleting(event.resource, obj);
  }

  private observeDeleting(resource: string, obj: KubeObject): void {
    const uid = obj.metadata.uid ?? '';
    if (has(obj, ORPHAN))
      this.enqueue(() => {
        this.orphanDependents(resource, obj);
      });
    if (has(obj, FOREGROUND)) {
      for (const dep of this.store.dependentsOf(uid)) {
        this.enqueue(() => {
          this.attemptToDelete(dep.resource, dep.object);
        });
      }
      this.enqueue(() => {
        this.finishForeground(uid);
      });
    }
    if (resource === 'namespaces')
      this.enqueue(() => {
        this.emptyNamespace(nameOf(obj));
      });
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.drain();
    });
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const task = this.queue.shift();
      try {
        task?.();
      } catch (err: unknown) {
        // Objects vanish between queueing and running; NotFound is the normal outcome then.
        if (!(err instanceof ApiError && err.httpCode === 404)) {
          this.log.warn({ err }, 'background controller task failed');
        }
      }
    }
    // Tasks may have scheduled another drain; waiting for it is harmless, the queue is empty.
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * The garbage collector's decision for one dependent: owners that exist (and are not
   * waiting in foreground deletion) keep it alive, minus its dangling references; without any
   * such owner it is deleted, in the foreground when an owner is waiting for it.
   */
  private attemptToDelete(resource: string, snapshot: KubeObject): void {
    const obj = this.store.get(resource, ns(snapshot), nameOf(snapshot));
    if (obj === undefined || obj.metadata.uid !== snapshot.metadata.uid) return;
    const refs = obj.metadata.ownerReferences ?? [];
    const owners = refs.map((ref) => ({ ref, owner: this.store.findUid(ref.uid)?.object }));
    const solid = owners.filter((o) => o.owner !== undefined && !waiting(o.owner));
    const waitingOwners = owners.filter((o) => o.owner !== undefined && waiting(o.owner));
    if (solid.length === owners.length) return;

    if (solid.length > 0) {
      const keep = new Set(solid.map((o) => o.ref.uid));
      this.store.update(resource, ns(obj), nameOf(obj), (o) => {
        o.metadata.ownerReferences = refs.filter((r) => keep.has(r.uid));
      });
      this.log.debug({ resource, name: nameOf(obj) }, 'gc removed dangling owner references');
      return;
    }
    if (deleting(obj)) return;
    if (waitingOwners.length > 0) {
      this.store.markDeleting(resource, ns(obj), nameOf(obj), [FOREGROUND]);
    } else {
      this.store.delete(resource, ns(obj), nameOf(obj));
    }
    this.log.debug({ resource, name: nameOf(obj) }, 'gc deleted dependent without owners');
  }

  /** Removes the foreground finalizer once no dependent blocks the owner's deletion. */
  private finishForeground(ownerUid: string): void {
    const found = this.store.findUid(ownerUid);
    if (found === undefined || !waiting(found.object)) return;
    const blocking = this.store
      .dependentsOf(ownerUid)
      .filter((d) =>
        (d.object.metadata.ownerReferences ?? []).some(
          (r) => r.uid === ownerUid && r.blockOwnerDeletion === true,
        ),
      );
    if (blocking.length > 0) return;
    const owner = found.object;
    this.store.update(found.resource, ns(owner), nameOf(owner), (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
    });
  }

  /** Orphan propagation: dependents lose their reference, then the owner its finalizer. */
  private orphanDependents(resource: string, owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.store.dependentsOf(uid)) {
      this.store.update(dep.resource, ns(dep.object), nameOf(dep.object), (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== uid,
        );
      });
    }
    this.store.update(resource, ns(owner), nameOf(owner), (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== ORPHAN);
    });
  }

  /** Deletes everything in a terminating namespace; objects with finalizers linger marked. */
  private emptyNamespace(namespace: string): void {
    for (const rt of this.registry.all().filter((r) => r.namespaced)) {
      const key = resourceKey(rt);
      for (const obj of this.store.list(key, namespace)) {
        if (!deleting(obj)) this.store.delete(key, namespace, nameOf(obj));
      }
    }
    this.finishNamespace(namespace);
  }

  /** Drops the namespace's own finalizer once it is empty, which completes its deletion. */
  private finishNamespace(namespace: string): void {
    const nsObj = this.store.get('namespaces', undefined, namespace);
    if (nsObj === undefined || !deleting(nsObj)) return;
    const anyLeft = this.registry
      .all()
      .filter((r) => r.namespaced)
      .some((rt) => this.store.list(resourceKey(rt), namespace).length > 0);
    if (anyLeft) return;
    this.store.update('namespaces', undefined, namespace, (o) => {
      const spec = isRecord(o['spec']) ? o['spec'] : {};
      o['spec'] = { ...spec, finalizers: [] };
    });
  }
}

function waiting(obj: KubeObject): boolean {
  return deleting(obj) && has(obj, FOREGROUND);
}
