import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
  type V1DeleteOptions,
  type V1Lease,
  type V1Pod,
  type CoreV1Event,
} from '@kubernetes/client-node';

import type { Logger } from '../../logger.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import { at, str, type Plain } from './read.js';
import type { ListPage, ReflectorSource, WatchFn } from './reflector.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

export const GROUP = 'eraser.sh';
export const VERSION = 'v1';
export const IMAGE_LISTS = 'imagelists';
export const IMAGE_JOBS = 'imagejobs';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function page(raw: unknown): ListPage {
  const items = at(raw, 'items');
  const token = str(at(raw, 'metadata', '_continue')) ?? str(at(raw, 'metadata', 'continue'));
  return {
    items: Array.isArray(items) ? items : [],
    resourceVersion: str(at(raw, 'metadata', 'resourceVersion')) ?? '',
    ...(token === undefined || token === '' ? {} : { continueToken: token }),
  };
}

type PageRequest = { limit: number; continueToken?: string };

function pageParams(p: PageRequest): { limit: number; _continue?: string } {
  return p.continueToken === undefined
    ? { limit: p.limit }
    : { limit: p.limit, _continue: p.continueToken };
}

/**
 * Every call the manager makes to the API server, each retried on throttling and server errors
 * (see `withRetry`). Callers handle 404 and 409 themselves; `tolerate*` helpers do the common
 * "already gone" and "already there" cases.
 */
export class KubeApi {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly watch: WatchFn;

  constructor(
    kc: KubeConfig,
    private readonly log: Logger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    const watcher = new Watch(kc);
    this.watch = (path, query, onEvent, onDone) => watcher.watch(path, query, onEvent, onDone);
  }

  call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(what, fn, this.log, this.retry);
  }

  nodeSource(): ReflectorSource {
    return {
      name: 'nodes',
      path: '/api/v1/nodes',
      list: async (p) => page(await this.core.listNode(pageParams(p))),
    };
  }

  podSource(namespace: string, labelSelector: string): ReflectorSource {
    return {
      name: 'pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector,
      list: async (p) =>
        page(await this.core.listNamespacedPod({ namespace, labelSelector, ...pageParams(p) })),
    };
  }

  configMapSource(namespace: string, labelSelector: string): ReflectorSource {
    return {
      name: 'configmaps',
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      labelSelector,
      list: async (p) =>
        page(
          await this.core.listNamespacedConfigMap({ namespace, labelSelector, ...pageParams(p) }),
        ),
    };
  }

  customSource(plural: string): ReflectorSource {
    return {
      name: plural,
      path: `/apis/${GROUP}/${VERSION}/${plural}`,
      list: async (p) =>
        page(
          await this.custom.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural,
            ...pageParams(p),
          }),
        ),
    };
  }

  async createPod(namespace: string, body: Plain<V1Pod>): Promise<'created' | 'exists'> {
    try {
      await this.call('create pod', () => this.core.createNamespacedPod({ namespace, body }));
      return 'created';
    } catch (err: unknown) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  /** Deletes a pod if it is still the one we mean (uid precondition); gone already is fine. */
  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    const body: Plain<V1DeleteOptions> = { preconditions: { uid }, gracePeriodSeconds: 0 };
    await tolerateMissing(
      this.call('delete pod', () => this.core.deleteNamespacedPod({ namespace, name, body })),
    );
  }

  async createConfigMap(
    namespace: string,
    body: Plain<V1ConfigMap>,
  ): Promise<'created' | 'exists'> {
    try {
      await this.call('create configmap', () =>
        this.core.createNamespacedConfigMap({ namespace, body }),
      );
      return 'created';
    } catch (err: unknown) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  async readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.call('read configmap', () =>
        this.core.readNamespacedConfigMap({ namespace, name }),
      );
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async patchConfigMapData(
    namespace: string,
    name: string,
    data: Record<string, string>,
  ): Promise<void> {
    await this.call('patch configmap', () =>
      this.core.patchNamespacedConfigMap({ namespace, name, body: { data } }, MERGE_PATCH),
    );
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await tolerateMissing(
      this.call('delete configmap', () => this.core.deleteNamespacedConfigMap({ namespace, name })),
    );
  }

  async listConfigMaps(namespace: string, labelSelector: string): Promise<V1ConfigMap[]> {
    const list = await this.call('list configmaps', () =>
      this.core.listNamespacedConfigMap({ namespace, labelSelector }),
    );
    return list.items;
  }

  async createCustom(plural: string, body: object): Promise<unknown> {
    return this.call(`create ${plural}`, () =>
      this.custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body }),
    );
  }

  async patchCustomStatus(plural: string, name: string, status: object): Promise<void> {
    const body = { status };
    await this.call(`patch ${plural} status`, () =>
      this.custom.patchClusterCustomObjectStatus(
        { group: GROUP, version: VERSION, plural, name, body },
        MERGE_PATCH,
      ),
    );
  }

  /** Deletes a custom object; its pods and ConfigMaps go with it through ownerReferences. */
  async deleteCustom(plural: string, name: string): Promise<void> {
    await tolerateMissing(
      this.call(`delete ${plural}`, () =>
        this.custom.deleteClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural,
          name,
          propagationPolicy: 'Background',
        }),
      ),
    );
  }

  async createEvent(namespace: string, body: Plain<CoreV1Event>): Promise<void> {
    await this.call('create event', () => this.core.createNamespacedEvent({ namespace, body }));
  }

  async readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  createLease(namespace: string, body: Plain<V1Lease>): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace, body });
  }

  replaceLease(namespace: string, name: string, body: Plain<V1Lease>): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace, name, body });
  }
}

/** Resolves when the call succeeded or the object was already gone (404). */
export async function tolerateMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}
