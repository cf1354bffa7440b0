/** DELETE on one object and on a collection, with DeleteOptions and propagation policies. */

import { CRD_KEY, crdToResourceType } from './crds.js';
import { conflict, invalid, notFound } from './errors.js';
import { FOREGROUND, ORPHAN } from './gc.js';
import {
  selectorFrom,
  type ApiRequest,
  type ApiResponse,
  type HandlerContext,
} from './handlers.js';
import { present } from './objects.js';
import { groupVersion, resourceKey, type ResourceType } from './resources.js';
import { selects } from './selectors.js';
import { isRecord, type KubeObject } from './types.js';

type Policy = 'Background' | 'Foreground' | 'Orphan';

interface DeleteOptions {
  policy: Policy;
  preconditionUid: string | undefined;
  preconditionRv: string | undefined;
  /** `orphanDependents: false` asks for 202 when the object outlives the request. */
  acceptedWhenPending: boolean;
}

function optionString(
  query: URLSearchParams,
  body: Record<string, unknown>,
  name: string,
): unknown {
  return query.get(name) ?? body[name];
}

function policyOf(rt: ResourceType, raw: unknown, orphan: unknown): Policy {
  if (raw === undefined || raw === null || raw === '') {
    return orphan === true || orphan === 'true' ? 'Orphan' : 'Background';
  }
  if (raw === 'Background' || raw === 'Foreground' || raw === 'Orphan') return raw;
  throw invalid(rt.kind, rt.group, '', [
    {
      field: 'propagationPolicy',
      message:
        `Unsupported value: ${JSON.stringify(raw)}: ` +
        'supported values: "Foreground", "Background", "Orphan"',
    },
  ]);
}

function readOptions(req: ApiRequest): DeleteOptions {
  const body = isRecord(req.body) ? req.body : {};
  const pre = isRecord(body['preconditions']) ? body['preconditions'] : {};
  const orphan = optionString(req.query, body, 'orphanDependents');
  const policy = policyOf(
    req.target.rt,
    optionString(req.query, body, 'propagationPolicy'),
    orphan,
  );
  return {
    policy,
    preconditionUid: typeof pre['uid'] === 'string' ? pre['uid'] : undefined,
    preconditionRv: typeof pre['resourceVersion'] === 'string' ? pre['resourceVersion'] : undefined,
    acceptedWhenPending: orphan === false || orphan === 'false',
  };
}

function checkPreconditions(rt: ResourceType, obj: KubeObject, opts: DeleteOptions): void {
  const name = obj.metadata.name ?? '';
  const { uid, resourceVersion } = obj.metadata;
  if (opts.preconditionUid !== undefined && opts.preconditionUid !== uid) {
    const why =
      `Precondition failed: UID in precondition: ${opts.preconditionUid}, ` +
      `UID in object meta: ${String(uid)}`;
    throw conflict(rt, name, why);
  }
  if (opts.preconditionRv !== undefined && opts.preconditionRv !== resourceVersion) {
    const why =
      `Precondition failed: ResourceVersion in precondition: ${opts.preconditionRv}, ` +
      `ResourceVersion in object meta: ${String(resourceVersion)}`;
    throw conflict(rt, name, why);
  }
}

/** Deleting a CRD removes its objects first (with DELETED events) and closes its watches. */
function purgeCustomResources(ctx: HandlerContext, crd: KubeObject): void {
  const key = resourceKey(crdToResourceType(crd));
  if (ctx.registry.byKey(key) === undefined) return;
  for (const obj of ctx.store.list(key)) {
    ctx.store.purge(key, obj.metadata.namespace, obj.metadata.name ?? '');
  }
  ctx.onResourceRemoved(key);
}

function deleteNamespace(ctx: HandlerContext, name: string): KubeObject {
  ctx.store.markDeleting('namespaces', undefined, name, []);
  return ctx.store.update('namespaces', undefined, name, (o) => {
    const status = isRecord(o['status']) ? o['status'] : {};
    o['status'] = { ...status, phase: 'Terminating' };
  });
}

/** Carries out one deletion; returns the object's state and whether it is gone. */
function remove(
  ctx: HandlerContext,
  rt: ResourceType,
  obj: KubeObject,
  opts: DeleteOptions,
): { deleted: boolean; object: KubeObject } {
  const key = resourceKey(rt);
  const { namespace } = obj.metadata;
  const name = obj.metadata.name ?? '';
  if (key === 'namespaces') return { deleted: false, object: deleteNamespace(ctx, name) };
  if (key === CRD_KEY) purgeCustomResources(ctx, obj);
  const hasDependents = ctx.store.dependentsOf(obj.metadata.uid ?? '').length > 0;
  if (opts.policy === 'Foreground' || (opts.policy === 'Orphan' && hasDependents)) {
    const finalizer = opts.policy === 'Foreground' ? FOREGROUND : ORPHAN;
    return { deleted: false, object: ctx.store.markDeleting(key, namespace, name, [finalizer]) };
  }
  return ctx.store.delete(key, namespace, name);
}

function successStatus(rt: ResourceType, obj: KubeObject): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, group: rt.group, kind: rt.plural, uid: obj.metadata.uid },
  };
}

function deleteOne(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const name = req.target.name ?? '';
  const current = ctx.store.get(resourceKey(rt), namespace, name);
  if (current === undefined) throw notFound(rt, name);
  const opts = readOptions(req);
  checkPreconditions(rt, current, opts);

  const { deleted, object } = remove(ctx, rt, current, opts);
  if (!deleted) {
    return { code: opts.acceptedWhenPending ? 202 : 200, body: present(object, rt, version) };
  }
  const body = rt.returnDeletedObject ? present(object, rt, version) : successStatus(rt, object);
  return { code: 200, body };
}

function deleteCollection(ctx: HandlerContext, req: ApiRequest): ApiResponse {
  const { rt, version, namespace } = req.target;
  const selector = selectorFrom(rt, req.query);
  const opts = readOptions(req);
  const matching = ctx.store.list(resourceKey(rt), namespace).filter((o) => selects(selector, o));
  const items = matching.map((o) => present(remove(ctx, rt, o, opts).object, rt, version, true));
  const body = {
    kind: rt.listKind,
    apiVersion: groupVersion(rt.group, version),
    metadata: { resourceVersion: ctx.store.resourceVersion() },
    items,
  };
  return { code: 200, body };
}

export const deleteHandlers = { delete: deleteOne, deletecollection: deleteCollection };
