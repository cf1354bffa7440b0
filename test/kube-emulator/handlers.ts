/** The API verbs (except watch), as functions from a routed request to a status and a body. */

import { crdStatus, CRD_KEY, validateCrd } from './crds.js';
import { ApiError, badRequest, conflict, invalid, notFound } from './errors.js';
import {
  decodeObject,
  prepareCreate,
  prepareStatusUpdate,
  prepareUpdate,
  present,
} from './objects.js';
import { jsonPatch, mergePatch } from './patch.js';
import {
  groupVersion,
  resourceKey,
  type ResourceRegistry,
  type ResourceType,
} from './resources.js';
import type { ResourceTarget } from './router.js';
import { parseFieldSelector, parseLabelSelector, selects, type Selector } from './selectors.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject } from './types.js';

export interface HandlerContext {
  store: ObjectStore;
  registry: ResourceRegistry;
  now: () => Date;
  /** Called before a CRD is deleted, so watches on its resource can be closed. */
  onResourceRemoved: (key: string) => void;
}

export interface ApiRequest {
  target: ResourceTarget;
  query: URLSearchParams;
  /** The decoded JSON body, or undefined when there was none. */
  body: unknown;
  /** The media type of the body, lower case, without parameters. */
  contentType: string;
}

export interface ApiResponse {
  code: number;
  body: unknown;
}

const GENERATE_NAME_ATTEMPTS = 8;

function key(rt: ResourceType): string {
  return resourceKey(rt);
}

function requireName(req: ApiRequest): string {
  return req.target.name ?? '';
}

/** Both selectors of a list, watch or deletecollection request. */
export function selectorFrom(rt: ResourceType, query: URLSearchParams): Selector {
  const allowed = ['metadata.name', 'metadata.namespace', ...rt.selectableFields];
  return {
    labels: parseLabelSelector(query.get('labelSelector') ?? ''),
    fields: parseFieldSelector(query.get('fieldSelector') ?? '', allowed),
  };
}

function checkNamespace(rt: ResourceType, obj: KubeObject, ns?: string): void {
  if (!rt.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const given = obj.metadata.namespace;
  if (given !== undefined && given !== '' && given !== ns) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  obj.metadata.namespace = ns ?? 'default';
}

function checkNamespaceOpen(ctx: HandlerContext, namespace: string | undefined): void {
  if (namespace === undefined) return;
  const nsObj = ctx.store.get('namespaces', undefined, namespace);
  if (nsObj === undefined) throw notFound({ group: '', plural: 'namespaces' }, namespace);
  if (nsObj.metadata.deletionTimestamp !== undefined) {
    throw new ApiError(
      403,
      'Forbidden',
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

function crdHook(ctx: HandlerContext, rt: ResourceType, obj: KubeObject): void {
  if (key(rt) !== CRD_KEY) return;
  validateCrd(obj);
  obj['status'] = crdStatus(obj, ctx.now());
  obj.metadata.generation ??= 1;
}

function createObject(ctx: HandlerContext, rt: ResourceType, obj: KubeObject): KubeObject {
  const generated = (obj.metadata.name ?? '') === '' && obj.metadata.generateName !== undefined;
  for (let attempt = 1; ; attempt += 1) {
    const candidate = prepareCreate(rt, structuredClone(obj));
    crdHook(ctx, rt, candidate);
    try {
      return ctx.store.create(key(rt), candidate);
    } catch (err: unknown) {
      const taken = err instanceof ApiError && err.reason === 'AlreadyExists';
      if (!generated || !taken || attempt >= GENERATE_NAME_ATTEMPTS) throw err;
    }
  }
}

function create(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const obj = decodeObject(req.body, rt, version);
  checkNamespace(rt, obj, namespace);
  if (rt.namespaced) checkNamespaceOpen(ctx, obj.metadata.namespace);
  return { code: 201, body: present(createObject(ctx, rt, obj), rt, version) };
}

function get(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const obj = ctx.store.get(key(rt), namespace, requireName(req));
  if (obj === undefined) throw notFound(rt, requireName(req));
  return { code: 200, body: present(obj, rt, version) };
}

interface ContinueToken {
  rv: string;
  after: string;
}

function sortKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      isRecord(parsed) &&
      typeof parsed['rv'] === 'string' &&
      typeof parsed['after'] === 'string'
    ) {
      return { rv: parsed['rv'], after: parsed['after'] };
    }
  } catch {
    // Falls through to the same 400 as a well-formed but foreign token.
  }
  throw badRequest(`continue key is not valid: "${token}"`);
}

function parseLimit(query: URLSearchParams): number | undefined {
  const raw = query.get('limit');
  if (raw === null || raw === '' || raw === '0') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`limit: Invalid value: "${raw}": must be a number`);
  return Number(raw);
}

function list(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const selector = selectorFrom(rt, req.query);
  const token = req.query.get('continue');
  const start = token === null || token === '' ? undefined : decodeContinue(token);
  const all = ctx.store.list(key(rt), namespace).filter((o) => selects(selector, o));
  const items = start === undefined ? all : all.filter((o) => sortKey(o) > start.after);
  const limit = parseLimit(req.query);
  const page = limit === undefined ? items : items.slice(0, limit);
  const rv = start?.rv ?? ctx.store.resourceVersion();
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  const last = page[page.length - 1];
  if (page.length < items.length && last !== undefined) {
    const next: ContinueToken = { rv, after: sortKey(last) };
    metadata['continue'] = Buffer.from(JSON.stringify(next)).toString('base64url');
    metadata['remainingItemCount'] = items.length - page.length;
  }
  const body = {
    kind: rt.listKind,
    apiVersion: groupVersion(rt.group, version),
    metadata,
    items: page.map((o) => present(o, rt, version, true)),
  };
  return { code: 200, body };
}

function checkIdentity(req: ApiRequest, obj: KubeObject): void {
  const { name, namespace, rt } = req.target;
  if (obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) ` +
        `does not match the name on the URL (${String(name)})`,
    );
  }
  const given = obj.metadata.namespace;
  if (rt.namespaced && given !== undefined && given !== '' && given !== namespace) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
}

/** The common tail of update and patch: status/main split, hooks, precondition, commit. */
function write(
  ctx: HandlerContext,
  req: ApiRequest,
  next: KubeObject,
  current: KubeObject,
): KubeObject {
  const { rt, subresource } = req.target;
  if (next.metadata.uid !== undefined && next.metadata.uid !== current.metadata.uid) {
    throw conflict(
      rt,
      requireName(req),
      `Precondition failed: UID in precondition: ${next.metadata.uid}, ` +
        `UID in object meta: ${String(current.metadata.uid)}`,
    );
  }
  const prepared =
    subresource === 'status'
      ? prepareStatusUpdate(next, current)
      : prepareUpdate(rt, next, current);
  if (subresource !== 'status') crdHook(ctx, rt, prepared);
  return ctx.store.put(key(rt), prepared);
}

function update(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const obj = decodeObject(req.body, rt, version);
  checkIdentity(req, obj);
  const current = ctx.store.get(key(rt), namespace, requireName(req));
  if (current === undefined) {
    if (!rt.allowCreateOnUpdate || req.target.subresource !== undefined) {
      throw notFound(rt, requireName(req));
    }
    return create(ctx, {
      ...req,
      body: { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } },
    });
  }
  const rv = obj.metadata.resourceVersion;
  if (rt.custom && (rv === undefined || rv === '')) {
    throw invalid(rt.kind, rt.group, requireName(req), [
      {
        field: 'metadata.resourceVersion',
        message: 'Invalid value: 0x0: must be specified for an update',
      },
    ]);
  }
  return { code: 200, body: present(write(ctx, req, obj, current), rt, version) };
}

function applyPatch(req: ApiRequest, current: unknown): unknown {
  switch (req.contentType) {
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json':
      if (!isRecord(req.body)) throw badRequest('a merge patch must be a JSON object');
      return mergePatch(current, req.body);
    case 'application/json-patch+json':
      return jsonPatch(current, req.body);
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ` +
          'application/json-patch+json, application/merge-patch+json, ' +
          'application/strategic-merge-patch+json',
      );
  }
}

function patch(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const current = ctx.store.get(key(rt), namespace, requireName(req));
  if (current === undefined) {
    applyPatch(req, {});
    throw notFound(rt, requireName(req));
  }
  const patched = applyPatch(req, present(current, rt, version));
  const obj = decodeObject(patched, rt, version);
  checkIdentity(req, obj);
  return { code: 200, body: present(write(ctx, req, obj, current), rt, version) };
}

export const handlers = { create, get, list, update, patch };
