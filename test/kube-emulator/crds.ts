/** CustomResourceDefinitions: validation, the status the apiserver reports, and registration. */

import { invalid } from './errors.js';
import { formatTime } from './json.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject, type StoreEvent } from './types.js';

export const CRD_KEY = 'customresourcedefinitions.apiextensions.k8s.io';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  status: boolean;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function versionsOf(spec: Record<string, unknown>): CrdVersion[] {
  const raw = Array.isArray(spec['versions']) ? spec['versions'] : [];
  return raw.filter(isRecord).map((v) => {
    const sub = v['subresources'];
    return {
      name: str(v['name']),
      served: v['served'] === true,
      storage: v['storage'] === true,
      status: isRecord(sub) && isRecord(sub['status']),
    };
  });
}

function namesOf(spec: Record<string, unknown>): Record<string, unknown> {
  return isRecord(spec['names']) ? spec['names'] : {};
}

function specCauses(
  name: string,
  spec: Record<string, unknown>,
): { field: string; message: string }[] {
  const causes: { field: string; message: string }[] = [];
  const names = namesOf(spec);
  const group = str(spec['group']);
  const plural = str(names['plural']);
  if (group === '') causes.push({ field: 'spec.group', message: 'Required value' });
  if (plural === '') causes.push({ field: 'spec.names.plural', message: 'Required value' });
  if (str(names['kind']) === '')
    causes.push({ field: 'spec.names.kind', message: 'Required value' });
  if (name !== `${plural}.${group}`) {
    const message = `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`;
    causes.push({ field: 'metadata.name', message });
  }
  if (spec['scope'] !== 'Namespaced' && spec['scope'] !== 'Cluster') {
    causes.push({
      field: 'spec.scope',
      message: 'Unsupported value: must be Namespaced or Cluster',
    });
  }
  const versions = versionsOf(spec);
  if (versions.filter((v) => v.storage).length !== 1) {
    causes.push({
      field: 'spec.versions',
      message: 'must have exactly one version marked as storage',
    });
  }
  if (versions.some((v) => v.name === '')) {
    causes.push({ field: 'spec.versions', message: 'every version needs a name' });
  }
  return causes;
}

/** Throws 422 Invalid for a CRD the apiserver would refuse. */
export function validateCrd(crd: KubeObject): void {
  const name = crd.metadata.name ?? '';
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const causes = specCauses(name, spec);
  if (causes.length > 0) {
    throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, causes);
  }
}

/** The status the apiextensions controllers would settle on: names accepted, established. */
export function crdStatus(crd: KubeObject, now: Date): Record<string, unknown> {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const storage = versionsOf(spec).find((v) => v.storage)?.name ?? '';
  const condition = (type: string, reason: string): Record<string, string> => ({
    type,
    status: 'True',
    reason,
    message: '',
    lastTransitionTime: formatTime(now),
  });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts'),
      condition('Established', 'InitialNamesAccepted'),
    ],
    acceptedNames: namesOf(spec),
    storedVersions: [storage],
  };
}

/** The resource type a (valid) CRD defines. */
export function crdToResourceType(crd: KubeObject): ResourceType {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const names = namesOf(spec);
  const versions = versionsOf(spec);
  const kind = str(names['kind']);
  const shortNames = Array.isArray(names['shortNames']) ? names['shortNames'].map(str) : [];
  return {
    group: str(spec['group']),
    versions: versions.filter((v) => v.served).map((v) => v.name),
    storageVersion: versions.find((v) => v.storage)?.name ?? '',
    plural: str(names['plural']),
    singular: str(names['singular']) || kind.toLowerCase(),
    kind,
    listKind: str(names['listKind']) || `${kind}List`,
    namespaced: spec['scope'] === 'Namespaced',
    shortNames,
    statusSubresource: versions.some((v) => v.status),
    selectableFields: [],
    custom: true,
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  };
}

/**
 * Keeps the registry in step with stored CRDs: created or changed CRDs serve their resource,
 * deleted ones stop serving it (the delete handler removes the objects first, with events).
 */
export function trackCrds(store: ObjectStore, registry: ResourceRegistry): () => void {
  return store.onChange((event: StoreEvent) => {
    if (event.resource !== CRD_KEY) return;
    const rt = crdToResourceType(event.object);
    const key = `${rt.plural}.${rt.group}`;
    if (event.type === 'DELETED') {
      store.dropResource(key);
      registry.remove(key);
    } else {
      registry.set(rt);
    }
  });
}
