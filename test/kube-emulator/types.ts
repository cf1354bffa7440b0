/** Shapes shared by the emulator's modules. Objects are plain JSON, as on the wire. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type JsonObject = { [key: string]: Json };

/** An owner reference as the garbage collector reads it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata fields the emulator reads or maintains; anything else passes through. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

/** Any Kubernetes object as stored and served. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** The kinds of change a watch reports. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change, as kept in the event history and handed to `onChange` listeners. */
export interface StoreEvent {
  type: WatchEventType;
  /** Resource key: `pods`, `leases.coordination.k8s.io`, `imagelists.eraser.sh`. */
  resource: string;
  /** The object after the change (for DELETED: its last state, with the deletion's version). */
  object: KubeObject;
  /** The object before the change; absent for ADDED. */
  previous?: KubeObject;
  /** The resourceVersion this change was committed at. */
  resourceVersion: number;
}

/** The Kubernetes API verbs, as audit logs and RBAC name them. */
export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Deep copy of a JSON value (objects here are always JSON-compatible). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
