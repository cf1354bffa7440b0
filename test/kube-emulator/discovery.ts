/** Discovery documents: what client-node's KubernetesObjectApi and kubectl read to find paths. */

import { noSuchPath } from './errors.js';
import { groupVersion, type ResourceRegistry, type ResourceType } from './resources.js';
import type { DiscoveryTarget } from './router.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function apiResources(rt: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: VERBS,
  };
  if (rt.shortNames.length > 0) main['shortNames'] = rt.shortNames;
  if (!rt.statusSubresource) return [main];
  const status = {
    name: `${rt.plural}/status`,
    singularName: '',
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: ['get', 'patch', 'update'],
  };
  return [main, status];
}

function resourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = registry.all().filter((rt) => rt.group === group && rt.versions.includes(version));
  if (types.length === 0) throw noSuchPath();
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: types.flatMap(apiResources),
  };
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** The JSON body for a discovery path; throws 404 for groups or versions not served. */
export function discoveryDocument(
  target: DiscoveryTarget,
  registry: ResourceRegistry,
  serverAddress: string,
): unknown {
  const named = registry.groups().filter((g) => g.group !== '');
  switch (target.kind) {
    case 'root':
      return { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/version'] };
    case 'version':
      return {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-eraser-emulator',
        platform: 'linux/amd64',
      };
    case 'health':
      return 'ok';
    case 'coreVersions':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      };
    case 'groups':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: named.map((g) => apiGroup(g.group, g.versions)),
      };
    case 'group': {
      const found = named.find((g) => g.group === target.group);
      if (found === undefined) throw noSuchPath();
      return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(found.group, found.versions) };
    }
    case 'resources':
      return resourceList(registry, target.group, target.version);
  }
}
