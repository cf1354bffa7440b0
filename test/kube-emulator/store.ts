import { randomUUID } from 'node:crypto';

import { EraserError } from '../../src/errors.js';
import { alreadyExists, conflict, notFound, STALE_OBJECT } from './errors.js';
import { formatTime, jsonEqual } from './json.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { clone, isRecord, type KubeObject, type StoreEvent, type WatchEventType } from './types.js';

/** Raised when store callers name a resource key the emulator does not serve. */
export class UnknownResourceError extends EraserError {
  constructor(resource: string) {
    super(
      'KUBE_EMULATOR_UNKNOWN_RESOURCE',
      `resource "${resource}" is not served; expected a key such as "pods" or ` +
        '"leases.coordination.k8s.io", or a CRD-defined "plural.group"',
      { resource },
    );
  }
}

export type ChangeListener = (event: StoreEvent) => void;

export interface StoreOptions {
  /** How many changes the watch history keeps; older resumes get 410 Gone. */
  historySize: number;
  now: () => Date;
  /** Called when an `onChange` listener throws, so one bad listener cannot stop a commit. */
  onListenerError: (err: unknown) => void;
}

/** Where an object with a given uid lives. */
interface UidEntry {
  resource: string;
  namespace: string;
  name: string;
}

function slot(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? '';
}

/**
 * The emulator's etcd: every object of every resource, one global resourceVersion counter, a
 * bounded history of changes for watch resumption, and change listeners. Writes through this
 * class behave like writes through the API without admission: resourceVersion preconditions,
 * no-op detection, and finalizer-aware deletion all apply. Reads return copies.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly uids = new Map<string, UidEntry>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private revision = 1;
  private compactedRevision = 0;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly options: StoreOptions,
  ) {}

  /** The newest committed resourceVersion, as a string like the API reports it. */
  resourceVersion(): string {
    return String(this.revision);
  }

  /**
   * A copy of one object, or undefined. `namespace` is ignored for cluster-scoped keys.
   * `T` lets simulators name the shape they expect (e.g. V1Pod); the store does not check it.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  get<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    const found = this.bucket(resource).get(slot(this.nsFor(resource, namespace), name));
    return found === undefined ? undefined : (clone(found) as T);
  }

  /** Copies of all objects of a resource (optionally one namespace), by namespace then name. */
  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): T[] {
    const entries = [...this.bucket(resource).entries()].sort(([a], [b]) => compare(a, b));
    const items = entries.map(([, obj]) => obj);
    const inNs = namespace === undefined ? items : items.filter((o) => inNamespace(o, namespace));
    return inNs.map((o) => clone(o) as T);
  }

  /**
   * Creates an object: fills uid, creationTimestamp and resourceVersion, emits ADDED.
   * Throws an AlreadyExists `ApiError` when the name is taken.
   */
  create<T extends KubeObject>(resource: string, input: T): T & KubeObject {
    const rt = this.type(resource);
    const obj = clone(input);
    const ns = this.nsFor(resource, obj.metadata.namespace);
    if (this.bucket(resource).has(slot(ns, nameOf(obj)))) throw alreadyExists(rt, nameOf(obj));

    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = formatTime(this.options.now());
    if (ns === undefined) delete obj.metadata.namespace;
    else obj.metadata.namespace = ns;
    return this.commit(resource, 'ADDED', obj, undefined) as T & KubeObject;
  }

  /**
   * Writes an object whole, creating it when missing. A `metadata.resourceVersion` in the input
   * is a precondition (stale → Conflict); without one the write is unconditional. System fields
   * (uid, creationTimestamp, deletionTimestamp) keep their stored values. A write that changes
   * nothing commits nothing. Clearing the last finalizer of an object being deleted deletes it.
   */
  put<T extends KubeObject>(resource: string, input: T): T & KubeObject {
    const rt = this.type(resource);
    const ns = this.nsFor(resource, input.metadata.namespace);
    const current = this.bucket(resource).get(slot(ns, nameOf(input)));
    if (current === undefined) return this.create(resource, input);

    const wanted = input.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) {
      throw conflict(rt, nameOf(input), STALE_OBJECT);
    }
    const obj = carrySystemFields(clone(input), current);
    if (jsonEqual(obj, current)) return clone(current) as T;

    const finished = obj.metadata.deletionTimestamp !== undefined && !hasFinalizers(resource, obj);
    return this.commit(resource, finished ? 'DELETED' : 'MODIFIED', obj, current) as T;
  }

  /** Read-modify-write of one object in a single step; throws NotFound when it is missing. */
  update<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string | undefined,
    name: string,
    mutate: (obj: T) => void,
  ): T {
    const current = this.get<T>(resource, namespace, name);
    if (current === undefined) throw notFound(this.type(resource), name);
    mutate(current);
    return this.put(resource, current);
  }

  /**
   * Deletes an object, or only marks it (deletionTimestamp) while finalizers remain.
   * Returns the object's last state and whether it is gone; throws NotFound when missing.
   */
  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): { deleted: boolean; object: KubeObject } {
    const current = this.current(resource, namespace, name);
    if (!hasFinalizers(resource, current)) {
      return { deleted: true, object: this.commit(resource, 'DELETED', clone(current), current) };
    }
    return { deleted: false, object: this.markDeleting(resource, namespace, name, []) };
  }

  /**
   * Sets deletionTimestamp (once) and adds finalizers, without deleting: the first step of
   * foreground, orphan and namespace deletion. Returns the marked object.
   */
  markDeleting(
    resource: string,
    namespace: string | undefined,
    name: string,
    finalizers: string[],
  ): KubeObject {
    const current = this.current(resource, namespace, name);
    const marked = clone(current);
    const meta = marked.metadata;
    const added = finalizers.filter((f) => !(meta.finalizers ?? []).includes(f));
    if (meta.deletionTimestamp !== undefined && added.length === 0) return marked;

    if (added.length > 0) meta.finalizers = [...(meta.finalizers ?? []), ...added];
    if (meta.deletionTimestamp === undefined) {
      meta.deletionTimestamp = formatTime(this.options.now());
      meta.deletionGracePeriodSeconds = 0;
      if (meta.generation !== undefined) meta.generation += 1;
    }
    return this.commit(resource, 'MODIFIED', marked, current);
  }

  /** Removes an object whatever its finalizers say, emitting DELETED. */
  purge(resource: string, namespace: string | undefined, name: string): KubeObject {
    const current = this.current(resource, namespace, name);
    return this.commit(resource, 'DELETED', clone(current), current);
  }

  /** Where the object with this uid lives, if it exists. */
  findUid(uid: string): { resource: string; object: KubeObject } | undefined {
    const at = this.uids.get(uid);
    if (at === undefined) return undefined;
    const object = this.get(at.resource, at.namespace === '' ? undefined : at.namespace, at.name);
    return object === undefined ? undefined : { resource: at.resource, object };
  }

  /** Every object that lists `uid` among its ownerReferences. */
  dependentsOf(uid: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const [resource, bucket] of this.objects) {
      for (const obj of bucket.values()) {
        const refs = obj.metadata.ownerReferences ?? [];
        if (refs.some((r) => r.uid === uid)) out.push({ resource, object: clone(obj) });
      }
    }
    return out;
  }

  /** Subscribes to every committed change; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes to `resource` newer than `since`, oldest first, or 'expired' when history no longer
   * reaches back that far (the watch must then fail with 410 Gone).
   */
  changesSince(resource: string, since: number): StoreEvent[] | 'expired' {
    if (since < this.compactedRevision) return 'expired';
    return this.history.filter((e) => e.resource === resource && e.resourceVersion > since);
  }

  /** The oldest resourceVersion a watch may still resume from. */
  oldestResumable(): number {
    return this.compactedRevision;
  }

  /** Forgets all history, like an etcd compaction: every older resume now gets 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedRevision = this.revision;
  }

  /** Drops every object of a resource without events (used when its CRD is gone). */
  dropResource(resource: string): void {
    for (const obj of this.objects.get(resource)?.values() ?? []) {
      if (obj.metadata.uid !== undefined) this.uids.delete(obj.metadata.uid);
    }
    this.objects.delete(resource);
  }

  private commit(
    resource: string,
    type: WatchEventType,
    obj: KubeObject,
    previous: KubeObject | undefined,
  ): KubeObject {
    this.revision += 1;
    obj.metadata.resourceVersion = String(this.revision);
    this.apply(resource, type, obj);

    const event: StoreEvent = { type, resource, object: obj, resourceVersion: this.revision };
    if (previous !== undefined) event.previous = previous;
    this.remember(event);
    this.emit(event);
    return clone(obj);
  }

  private apply(resource: string, type: WatchEventType, obj: KubeObject): void {
    const bucket = this.bucket(resource);
    const key = slot(obj.metadata.namespace, nameOf(obj));
    const uid = obj.metadata.uid ?? '';
    if (type === 'DELETED') {
      bucket.delete(key);
      this.uids.delete(uid);
      return;
    }
    bucket.set(key, obj);
    this.uids.set(uid, {
      resource,
      namespace: obj.metadata.namespace ?? '',
      name: nameOf(obj),
    });
  }

  private remember(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.options.historySize) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.compactedRevision = dropped.resourceVersion;
    }
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(clone(event));
      } catch (err: unknown) {
        this.options.onListenerError(err);
      }
    }
  }

  private current(resource: string, namespace: string | undefined, name: string): KubeObject {
    const found = this.bucket(resource).get(slot(this.nsFor(resource, namespace), name));
    if (found === undefined) throw notFound(this.type(resource), name);
    return found;
  }

  private type(resource: string): ResourceType {
    const rt = this.registry.byKey(resource);
    if (rt === undefined) throw new UnknownResourceError(resource);
    return rt;
  }

  private nsFor(resource: string, namespace: string | undefined): string | undefined {
    return this.type(resource).namespaced ? (namespace ?? 'default') : undefined;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    this.type(resource);
    let bucket = this.objects.get(resource);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function inNamespace(obj: KubeObject, namespace: string): boolean {
  return obj.metadata.namespace === namespace;
}

/** Namespaces also wait for `spec.finalizers` (the namespace controller's "kubernetes"). */
function hasFinalizers(resource: string, obj: KubeObject): boolean {
  if ((obj.metadata.finalizers ?? []).length > 0) return true;
  if (resource !== 'namespaces') return false;
  const spec = obj['spec'];
  return isRecord(spec) && Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0;
}

/** Fields only the server sets: a write cannot change them (deletion cannot be undone). */
function carrySystemFields(obj: KubeObject, current: KubeObject): KubeObject {
  const meta = obj.metadata;
  const old = current.metadata;
  for (const key of ['uid', 'creationTimestamp', 'resourceVersion', 'namespace'] as const) {
    setOrDelete(meta, key, old[key]);
  }
  setOrDelete(meta, 'deletionTimestamp', old.deletionTimestamp);
  setOrDelete(meta, 'deletionGracePeriodSeconds', old.deletionGracePeriodSeconds);
  if (meta.generation === undefined && old.generation !== undefined) {
    meta.generation = old.generation;
  }
  return obj;
}

function setOrDelete(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) Reflect.deleteProperty(target, key);
  else target[key] = value;
}
