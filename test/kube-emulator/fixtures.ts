/** Shared test fixtures: an emulator per test, a sample CRD, and a waitable event queue. */

import {
  ApiException,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1Pod,
} from '@kubernetes/client-node';

import { startEmulator, type Emulator, type EmulatorOptions } from './index.js';

/** Runs `body` against a fresh emulator and always stops it. */
export async function withEmulator(
  body: (emu: Emulator) => Promise<void>,
  opts: EmulatorOptions = {},
): Promise<void> {
  const emu = await startEmulator(opts);
  try {
    await body(emu);
  } finally {
    await emu.stop();
  }
}

/** An Eraser-like cluster-scoped CRD (`imagelists.eraser.sh`), v1 stored, v1alpha1 served. */
export function imageListCrd(
  status = true,
  name = 'imagelists.eraser.sh',
): V1CustomResourceDefinition {
  const schema = {
    openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  };
  const extra = status ? { subresources: { status: {} } } : {};
  return model(V1CustomResourceDefinition, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: 'eraser.sh',
      scope: 'Cluster',
      names: {
        plural: 'imagelists',
        singular: 'imagelist',
        kind: 'ImageList',
        listKind: 'ImageListList',
      },
      versions: [
        { name: 'v1', served: true, storage: true, schema, ...extra },
        { name: 'v1alpha1', served: true, storage: false, schema, ...extra },
      ],
    },
  });
}

/**
 * A request body of a client-node model type. client-node declares its models as classes but
 * sends plain JSON, so tests build plain objects; field names are checked by the emulator.
 */
export function model<T extends object>(Model: new () => T, plain: object): T {
  return Object.assign(new Model(), plain);
}

/** A copy of a model object with some top-level fields replaced. */
export function edited<T extends object>(obj: T, changes: object): T {
  return Object.assign(structuredClone(obj), changes);
}

/** A pod with one container, optionally bound to a node. */
export function pod(
  name: string,
  nodeName: string | undefined,
  labels: Record<string, string> = {},
  ownerReferences: object[] = [],
): V1Pod {
  const node = nodeName === undefined ? {} : { nodeName };
  return model(V1Pod, {
    metadata: { name, labels, ownerReferences },
    spec: { ...node, containers: [{ name: 'c', image: 'busybox:1.36' }] },
  });
}

/** A configmap body; `meta` adds metadata fields (labels, finalizers, ownerReferences). */
export function configMap(
  name: string,
  data: Record<string, string> = {},
  meta: object = {},
): V1ConfigMap {
  return model(V1ConfigMap, { metadata: { name, ...meta }, data });
}

/** Awaits `promise` and returns the ApiException it rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err: unknown) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  throw new Error('expected the call to fail with an ApiException, but it succeeded');
}

/** The parsed Status body of an ApiException (client-node keeps it as text). */
export function statusOf(err: ApiException<unknown>): Record<string, unknown> {
  const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  return body as Record<string, unknown>;
}

/** A queue of items pushed by callbacks that tests can wait on without timers. */
export class Waitable<T> {
  readonly items: T[] = [];
  private waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  /** Resolves with the first item (already seen or future) that matches. */
  waitFor(match: (item: T) => boolean): Promise<T> {
    const seen = this.items.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}
