/** Turns a request path and method into what it addresses, like the apiserver's RequestInfo. */

import { ApiError, noSuchPath } from './errors.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import type { Verb } from './types.js';

export type DiscoveryTarget =
  | { kind: 'root' }
  | { kind: 'coreVersions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | { kind: 'version' }
  | { kind: 'health' };

export interface ResourceTarget {
  rt: ResourceType;
  version: string;
  verb: Verb;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export type Route =
  { type: 'discovery'; target: DiscoveryTarget } | { type: 'resource'; target: ResourceTarget };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function discovery(parts: string[]): DiscoveryTarget | undefined {
  const [a, b, c] = parts;
  if (parts.length === 0) return { kind: 'root' };
  if (parts.length === 1 && a === 'version') return { kind: 'version' };
  if (parts.length === 1 && (a === 'healthz' || a === 'readyz' || a === 'livez')) {
    return { kind: 'health' };
  }
  if (a === 'api' && parts.length === 1) return { kind: 'coreVersions' };
  if (a === 'api' && parts.length === 2) return { kind: 'resources', group: '', version: b ?? '' };
  if (a === 'apis' && parts.length === 1) return { kind: 'groups' };
  if (a === 'apis' && parts.length === 2) return { kind: 'group', group: b ?? '' };
  if (a === 'apis' && parts.length === 3)
    return { kind: 'resources', group: b ?? '', version: c ?? '' };
  return undefined;
}

interface Located {
  namespace: string | undefined;
  plural: string;
  name: string | undefined;
  subresource: string | undefined;
}

function locate(rest: string[]): Located | undefined {
  let parts = rest;
  let namespace: string | undefined;
  if (
    parts[0] === 'namespaces' &&
    parts.length > 2 &&
    !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')
  ) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  if (parts.length === 0 || parts.length > 3) return undefined;
  const [plural = '', name, subresource] = parts;
  return { namespace, plural, name, subresource };
}

function verbFor(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow method ${method}`);
  }
}

function isWatch(query: URLSearchParams): boolean {
  const value = query.get('watch');
  return value === 'true' || value === '1';
}

/** Resolves a path; throws 404 for paths the emulator does not serve. */
export function route(
  method: string,
  pathname: string,
  query: URLSearchParams,
  registry: ResourceRegistry,
): Route {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const found = discovery(parts);
  if (found !== undefined) return { type: 'discovery', target: found };

  const isCore = parts[0] === 'api';
  const prefix = isCore ? 2 : 3;
  if (parts[0] !== 'api' && parts[0] !== 'apis') throw noSuchPath();
  const group = isCore ? '' : (parts[1] ?? '');
  const version = parts[prefix - 1] ?? '';
  let rest = parts.slice(prefix);
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  const loc = locate(rest);
  const rt = loc === undefined ? undefined : registry.find(group, version, loc.plural);
  if (loc === undefined || rt === undefined) throw noSuchPath();
  return {
    type: 'resource',
    target: checked(rt, version, loc, method, legacyWatch || isWatch(query)),
  };
}

function checked(
  rt: ResourceType,
  version: string,
  loc: Located,
  method: string,
  watch: boolean,
): ResourceTarget {
  const verb = verbFor(method, loc.name !== undefined, watch);
  const needsName = verb === 'update' || verb === 'patch';
  if ((verb === 'create' && loc.name !== undefined) || (needsName && loc.name === undefined)) {
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method here`);
  }
  if (loc.namespace !== undefined && !rt.namespaced) throw noSuchPath();
  if (loc.subresource !== undefined && !(loc.subresource === 'status' && rt.statusSubresource)) {
    throw noSuchPath();
  }
  if (loc.subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) {
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on ${rt.plural}/status`,
    );
  }
  if (rt.namespaced && loc.namespace === undefined && !['list', 'watch'].includes(verb)) {
    if (loc.name !== undefined && verb === 'get') throw noSuchPath();
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource`,
    );
  }
  return {
    rt,
    version,
    verb,
    namespace: loc.namespace,
    name: loc.name,
    subresource: loc.subresource,
  };
}
