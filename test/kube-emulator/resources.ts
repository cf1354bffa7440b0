/** The resource types the emulator serves: built-ins plus those defined by CRDs. */

/** Everything the server needs to know about one resource type. */
export interface ResourceType {
  /** API group; `''` for the core group. */
  group: string;
  /** Versions served, in the order discovery lists them. */
  versions: string[];
  /** The version objects are kept in (their stored `apiVersion`). */
  storageVersion: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Whether `/status` exists; then main-resource writes keep the stored status. */
  statusSubresource: boolean;
  /** Field selector paths beyond `metadata.name` and `metadata.namespace`. */
  selectableFields: readonly string[];
  /** Defined by a CRD (affects list item kinds, generation, unconditional updates). */
  custom: boolean;
  /** PUT on a missing object creates it (leases, events). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the object rather than a success Status. */
  returnDeletedObject: boolean;
}

/** The key a resource is stored and addressed under: `pods`, `leases.coordination.k8s.io`. */
export function resourceKey(rt: { group: string; plural: string }): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
] as const;

const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
] as const;

type BuiltIn = Pick<ResourceType, 'group' | 'plural' | 'kind' | 'namespaced'> &
  Partial<ResourceType>;

function builtIn(spec: BuiltIn): ResourceType {
  return {
    versions: ['v1'],
    storageVersion: 'v1',
    singular: spec.kind.toLowerCase(),
    listKind: `${spec.kind}List`,
    shortNames: [],
    statusSubresource: false,
    selectableFields: [],
    custom: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    ...spec,
  };
}

/** The built-in resources, as a fresh list (registries mutate their own copy). */
export function builtInResources(): ResourceType[] {
  return [
    builtIn({
      group: '',
      plural: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      statusSubresource: true,
      selectableFields: ['status.phase'],
      returnDeletedObject: true,
    }),
    builtIn({
      group: '',
      plural: 'nodes',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
      selectableFields: ['spec.unschedulable'],
    }),
    builtIn({
      group: '',
      plural: 'pods',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      statusSubresource: true,
      selectableFields: POD_FIELDS,
      returnDeletedObject: true,
    }),
    builtIn({ group: '', plural: 'configmaps', kind: 'ConfigMap', namespaced: true }),
    builtIn({
      group: '',
      plural: 'events',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      selectableFields: EVENT_FIELDS,
      allowCreateOnUpdate: true,
    }),
    builtIn({
      group: 'events.k8s.io',
      plural: 'events',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      allowCreateOnUpdate: true,
    }),
    builtIn({
      group: 'coordination.k8s.io',
      plural: 'leases',
      kind: 'Lease',
      namespaced: true,
      allowCreateOnUpdate: true,
    }),
    builtIn({
      group: 'apiextensions.k8s.io',
      plural: 'customresourcedefinitions',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      statusSubresource: true,
    }),
  ];
}

/** Looks resource types up by key or by group/version/plural; CRDs add and remove entries. */
export class ResourceRegistry {
  private readonly types = new Map<string, ResourceType>();

  constructor(initial: ResourceType[] = builtInResources()) {
    for (const rt of initial) this.types.set(resourceKey(rt), rt);
  }

  byKey(key: string): ResourceType | undefined {
    return this.types.get(key);
  }

  /** The type served at GROUP/VERSION/PLURAL, if that version is served. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    const rt = this.types.get(resourceKey({ group, plural }));
    return rt?.versions.includes(version) === true ? rt : undefined;
  }

  set(rt: ResourceType): void {
    this.types.set(resourceKey(rt), rt);
  }

  remove(key: string): void {
    this.types.delete(key);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Every served group with its versions, core group first, in a stable order. */
  groups(): { group: string; versions: string[] }[] {
    const byGroup = new Map<string, string[]>();
    for (const rt of this.types.values()) {
      const versions = byGroup.get(rt.group) ?? [];
      for (const v of rt.versions) if (!versions.includes(v)) versions.push(v);
      byGroup.set(rt.group, versions);
    }
    const names = [...byGroup.keys()].sort();
    return names.map((group) => ({ group, versions: byGroup.get(group) ?? [] }));
  }
}
