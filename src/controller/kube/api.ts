import type { CoreV1Event, V1ConfigMap, V1DeleteOptions, V1Pod } from '@kubernetes/client-node';

import type { Logger } from '../../logger.js';
import { KubeClient, type Query } from './client.js';
import type { ClusterConnection } from './connection.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import { at, list, str, type Plain } from './read.js';
import type { ListPage, ReflectorSource, WatchFn } from './reflector.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

export const GROUP = 'eraser.sh';
export const VERSION = 'v1';
export const IMAGE_LISTS = 'imagelists';
export const IMAGE_JOBS = 'imagejobs';

const MERGE_PATCH = 'application/merge-patch+json';

function page(raw: unknown): ListPage {
  const token = str(at(raw, 'metadata', 'continue'));
  return {
    items: list(at(raw, 'items')),
    resourceVersion: str(at(raw, 'metadata', 'resourceVersion')) ?? '',
    ...(token === undefined || token === '' ? {} : { continueToken: token }),
  };
}

function pageQuery(p: { limit: number; continueToken?: string }, labelSelector?: string): Query {
  return { limit: p.limit, continue: p.continueToken, labelSelector };
}

const seg = encodeURIComponent;

function core(namespace: string, plural: string, name?: string): string {
  const base = `/api/v1/namespaces/${seg(namespace)}/${plural}`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}

function custom(plural: string, name?: string): string {
  const base = `/apis/${GROUP}/${VERSION}/${plural}`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}

export function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${seg(namespace)}/leases`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}

/** Resolves when the call succeeded or the object was already gone (404). */
export async function tolerateMissing(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Every call the manager makes to the API server. Calls that are safe to repeat are retried on
 * throttling, server errors and lost connections (see `withRetry`); callers handle 404 and 409,
 * with `tolerateMissing` and the created/exists answers for the common cases.
 */
export class KubeApi {
  readonly client: KubeClient;
  readonly watch: WatchFn;

  constructor(
    connection: ClusterConnection,
    private readonly log: Logger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.client = new KubeClient(connection);
    this.watch = this.client.watch;
  }

  close(): void {
    this.client.close();
  }

  private call(what: string, method: string, path: string, body?: unknown, type?: string) {
    const opts = {
      ...(body === undefined ? {} : { body }),
      ...(type === undefined ? {} : { contentType: type }),
    };
    return withRetry(what, () => this.client.request(method, path, opts), this.log, this.retry);
  }

  private source(name: string, path: string, labelSelector?: string): ReflectorSource {
    return {
      name,
      path,
      ...(labelSelector === undefined ? {} : { labelSelector }),
      list: async (p) =>
        page(
          await withRetry(
            `list ${name}`,
            () => this.client.request('GET', path, { query: pageQuery(p, labelSelector) }),
            this.log,
            this.retry,
          ),
        ),
    };
  }

  nodeSource(): ReflectorSource {
    return this.source('nodes', '/api/v1/nodes');
  }

  podSource(namespace: string, labelSelector: string): ReflectorSource {
    return this.source('pods', core(namespace, 'pods'), labelSelector);
  }

  configMapSource(namespace: string, labelSelector: string): ReflectorSource {
    return this.source('configmaps', core(namespace, 'configmaps'), labelSelector);
  }

  customSource(plural: string): ReflectorSource {
    return this.source(plural, custom(plural));
  }

  private async create(what: string, path: string, body: unknown): Promise<'created' | 'exists'> {
    try {
      await this.call(what, 'POST', path, body);
      return 'created';
    } catch (err: unknown) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  createPod(namespace: string, body: Plain<V1Pod>): Promise<'created' | 'exists'> {
    return this.create('create pod', core(namespace, 'pods'), body);
  }

  /**
   * Deletes a pod if it is still the one we mean (uid precondition); gone already is fine.
   * `graceSeconds: 0` forces it, for pods whose node is gone and whose kubelet will never
   * confirm; otherwise the kubelet stops the container within the pod's grace period.
   */
  async deletePod(namespace: string, name: string, uid: string, graceSeconds?: number) {
    const body: Plain<V1DeleteOptions> = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid },
      ...(graceSeconds === undefined ? {} : { gracePeriodSeconds: graceSeconds }),
    };
    await tolerateMissing(this.call('delete pod', 'DELETE', core(namespace, 'pods', name), body));
  }

  createConfigMap(namespace: string, body: Plain<V1ConfigMap>): Promise<'created' | 'exists'> {
    return this.create('create configmap', core(namespace, 'configmaps'), body);
  }

  async readConfigMap(namespace: string, name: string): Promise<Plain<V1ConfigMap> | undefined> {
    try {
      const path = core(namespace, 'configmaps', name);
      return (await this.call('read configmap', 'GET', path)) as Plain<V1ConfigMap>;
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async patchConfigMapData(namespace: string, name: string, data: Record<string, string>) {
    const path = core(namespace, 'configmaps', name);
    await this.call('patch configmap', 'PATCH', path, { data }, MERGE_PATCH);
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    const path = core(namespace, 'configmaps', name);
    await tolerateMissing(this.call('delete configmap', 'DELETE', path));
  }

  async listConfigMaps(namespace: string, labelSelector: string): Promise<Plain<V1ConfigMap>[]> {
    const path = core(namespace, 'configmaps');
    const answer = await withRetry(
      'list configmaps',
      () => this.client.request('GET', path, { query: { labelSelector } }),
      this.log,
      this.retry,
    );
    return list(at(answer, 'items')) as Plain<V1ConfigMap>[];
  }

  /**
   * Creates a custom object once, without retrying: objects made with generateName cannot be
   * told apart, so a create that failed after the server committed it would, if repeated,
   * leave two. The caller's reconcile retries later, after its cache has caught up.
   */
  createCustom(plural: string, body: object): Promise<unknown> {
    return this.client.request('POST', custom(plural), { body });
  }

  async patchCustomStatus(plural: string, name: string, status: object): Promise<void> {
    const path = `${custom(plural, name)}/status`;
    await this.call(`patch ${plural} status`, 'PATCH', path, { status }, MERGE_PATCH);
  }

  /** Deletes a custom object; its pods and ConfigMaps go with it through ownerReferences. */
  async deleteCustom(plural: string, name: string): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' };
    await tolerateMissing(this.call(`delete ${plural}`, 'DELETE', custom(plural, name), body));
  }

  async createEvent(namespace: string, body: Plain<CoreV1Event>): Promise<void> {
    await this.call('create event', 'POST', core(namespace, 'events'), body);
  }
}
