/**
 * What the apiserver does to an object between decoding and storage: names, type fields,
 * status and generation handling, minimal defaulting and validation. Deliberately small; the
 * README lists what is left out.
 */

import { randomInt } from 'node:crypto';

import { ApiError, badRequest, invalid } from './errors.js';
import { jsonEqual } from './json.js';
import { groupVersion, type ResourceType } from './resources.js';
import { isLabelKey, isLabelValue } from './selectors.js';
import { clone, isRecord, type KubeObject } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

type Cause = { field: string; message: string };

/** The object as served at `version`, with apiVersion and kind (built-in list items omit them). */
export function present(
  obj: KubeObject,
  rt: ResourceType,
  version: string,
  asListItem = false,
): KubeObject {
  const out = clone(obj);
  if (asListItem && !rt.custom) {
    delete out.apiVersion;
    delete out.kind;
    return out;
  }
  const { metadata, ...rest } = out;
  delete rest.apiVersion;
  delete rest.kind;
  return { apiVersion: groupVersion(rt.group, version), kind: rt.kind, metadata, ...rest };
}

/** A random 5-character suffix from the apiserver's alphabet (no vowels, no look-alikes). */
export function nameSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i += 1) out += NAME_ALPHABET.charAt(randomInt(NAME_ALPHABET.length));
  return out;
}

export function generatedName(base: string): string {
  return base.slice(0, 58) + nameSuffix();
}

/** Decodes a request body into an object of this resource, checking apiVersion and kind. */
export function decodeObject(body: unknown, rt: ResourceType, version: string): KubeObject {
  if (!isRecord(body)) throw badRequest(`the body of the request must be a JSON ${rt.kind}`);
  const gv = groupVersion(rt.group, version);
  const { apiVersion, kind } = body;
  if ((apiVersion !== undefined && apiVersion !== gv) || (kind !== undefined && kind !== rt.kind)) {
    throw badRequest(
      `the API version in the data (${String(apiVersion)}) and kind (${String(kind)}) ` +
        `do not match the endpoint (${gv}, ${rt.kind})`,
    );
  }
  const metadata = body['metadata'] ?? {};
  if (!isRecord(metadata)) throw badRequest('metadata must be a JSON object');
  const obj = clone({ ...body, metadata }) as KubeObject;
  obj.apiVersion = groupVersion(rt.group, rt.storageVersion);
  obj.kind = rt.kind;
  return obj;
}

function nameCauses(rt: ResourceType, name: string): Cause[] {
  const isLabel = rt.plural === 'namespaces';
  const ok = isLabel
    ? name.length <= 63 && DNS_LABEL.test(name)
    : name.length <= 253 && DNS_SUBDOMAIN.test(name);
  if (ok) return [];
  const what = isLabel ? 'RFC 1123 label' : 'RFC 1123 subdomain';
  return [{ field: 'metadata.name', message: `Invalid value: "${name}": must be a ${what}` }];
}

function labelCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    if (!isLabelKey(key)) causes.push({ field: 'metadata.labels', message: `bad key "${key}"` });
    if (typeof value !== 'string' || !isLabelValue(value)) {
      causes.push({ field: `metadata.labels[${key}]`, message: `bad value ${value}` });
    }
  }
  return causes;
}

function containerCauses(spec: Record<string, unknown>): Cause[] {
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) {
    return [{ field: 'spec.containers', message: 'Required value' }];
  }
  const causes: Cause[] = [];
  const seen = new Set<string>();
  containers.forEach((c: unknown, i) => {
    const name = isRecord(c) ? c['name'] : undefined;
    if (typeof name !== 'string' || !DNS_LABEL.test(name) || seen.has(name)) {
      causes.push({ field: `spec.containers[${i}].name`, message: 'Invalid or duplicate name' });
    } else seen.add(name);
    if (!isRecord(c) || typeof c['image'] !== 'string' || c['image'] === '') {
      causes.push({ field: `spec.containers[${i}].image`, message: 'Required value' });
    }
  });
  return causes;
}

/** Throws 422 Invalid when the object breaks the rules the emulator checks. */
export function validate(rt: ResourceType, obj: KubeObject): void {
  const name = obj.metadata.name ?? '';
  const causes = [...nameCauses(rt, name), ...labelCauses(obj)];
  if (rt.group === '' && rt.plural === 'pods') {
    const spec = obj['spec'];
    causes.push(
      ...(isRecord(spec) ? containerCauses(spec) : [{ field: 'spec', message: 'Required' }]),
    );
  }
  if (causes.length > 0) throw invalid(rt.kind, rt.group, name, causes);
}

function defaultContainer(c: unknown): void {
  if (!isRecord(c)) return;
  const image = typeof c['image'] === 'string' ? c['image'] : '';
  const lastPart = image.split('/').pop() ?? '';
  const pinned = lastPart.includes(':') && !lastPart.endsWith(':latest');
  c['imagePullPolicy'] ??= image.includes('@') || pinned ? 'IfNotPresent' : 'Always';
  c['terminationMessagePath'] ??= '/dev/termination-log';
  c['terminationMessagePolicy'] ??= 'File';
  c['resources'] ??= {};
}

function defaultPod(obj: KubeObject): void {
  const spec = obj['spec'];
  if (!isRecord(spec)) return;
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['securityContext'] ??= {};
  for (const key of ['containers', 'initContainers']) {
    const list = spec[key];
    if (Array.isArray(list)) list.forEach(defaultContainer);
  }
  obj['status'] = { phase: 'Pending' };
}

function defaultNamespace(obj: KubeObject): void {
  obj['spec'] = { finalizers: ['kubernetes'] };
  obj['status'] = { phase: 'Active' };
}

/** Fills the name from generateName, defaults fields and resets status as on create. */
export function prepareCreate(rt: ResourceType, obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if ((meta.name ?? '') === '' && typeof meta.generateName === 'string') {
    meta.name = generatedName(meta.generateName);
  }
  if ((meta.name ?? '') === '') {
    throw invalid(rt.kind, rt.group, '', [
      { field: 'metadata.name', message: 'Required value: name or generateName is required' },
    ]);
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
    throw new ApiError(
      500,
      'InternalError',
      'Internal error occurred: resourceVersion should not be set on objects to be created',
    );
  }
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  if (rt.custom && rt.statusSubresource) delete obj['status'];
  if (rt.custom) meta.generation = 1;
  if (rt.group === '' && rt.plural === 'pods') defaultPod(obj);
  if (rt.group === '' && rt.plural === 'namespaces') defaultNamespace(obj);
  validate(rt, obj);
  return obj;
}

function withoutMetaAndStatus(obj: KubeObject, dropStatus: boolean): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...obj };
  delete rest['metadata'];
  if (dropStatus) delete rest['status'];
  return rest;
}

/** Pod updates may change only images, activeDeadlineSeconds and tolerations. */
function checkPodUpdate(rt: ResourceType, next: KubeObject, current: KubeObject): void {
  const mutable = (o: KubeObject): unknown => {
    const spec = clone(isRecord(o['spec']) ? o['spec'] : {});
    for (const key of ['containers', 'initContainers']) {
      const list = spec[key];
      if (Array.isArray(list)) list.forEach((c) => isRecord(c) && delete c['image']);
    }
    delete spec['activeDeadlineSeconds'];
    delete spec['tolerations'];
    return spec;
  };
  if (!jsonEqual(mutable(next), mutable(current))) {
    const message =
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, ' +
      '`spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations`';
    throw invalid(rt.kind, rt.group, next.metadata.name ?? '', [{ field: 'spec', message }]);
  }
}

/**
 * Turns a main-resource update into what is stored: status kept when `/status` exists,
 * generation bumped when anything outside metadata (and status) changed.
 */
export function prepareUpdate(rt: ResourceType, next: KubeObject, current: KubeObject): KubeObject {
  if (rt.statusSubresource) {
    if (current['status'] === undefined) delete next['status'];
    else next['status'] = clone(current['status']);
  }
  if (rt.group === '' && rt.plural === 'pods') checkPodUpdate(rt, next, current);
  const changed = !jsonEqual(
    withoutMetaAndStatus(next, rt.statusSubresource),
    withoutMetaAndStatus(current, rt.statusSubresource),
  );
  const generation = current.metadata.generation;
  if (generation !== undefined) next.metadata.generation = changed ? generation + 1 : generation;
  else delete next.metadata.generation;
  validate(rt, next);
  return next;
}

/** A `/status` write: the stored object with only its status replaced. */
export function prepareStatusUpdate(next: KubeObject, current: KubeObject): KubeObject {
  const out = clone(current);
  if (next['status'] === undefined) delete out['status'];
  else out['status'] = clone(next['status']);
  const rv = next.metadata.resourceVersion ?? current.metadata.resourceVersion;
  if (rv !== undefined) out.metadata.resourceVersion = rv;
  return out;
}
