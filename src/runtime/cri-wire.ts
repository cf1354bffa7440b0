/**
 * Shapes of decoded CRI messages (proto.ts decodes with `defaults: true`, `enums: String`,
 * `longs: Number`: scalars are never missing, sub-messages may be null) and the pure functions
 * that turn them into the runtime-neutral types of ./types.ts.
 */
import type {
  ContainerState,
  RuntimeContainer,
  RuntimeImage,
  RuntimeSandbox,
  RuntimeVersion,
  SandboxState,
} from './types.js';
import type { SandboxSnapshot } from './sandbox-tracer.js';

export interface WireImageSpec {
  readonly image: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface WireImage {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
  readonly username: string;
  readonly pinned: boolean;
}

export interface WireVersion {
  readonly version: string;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
  readonly runtimeApiVersion: string;
}

export interface WireContainer {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: { readonly name: string; readonly attempt: number } | null;
  readonly image: WireImageSpec | null;
  readonly imageRef: string;
  readonly state: string;
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface WireContainerStatus {
  readonly id: string;
  readonly metadata: { readonly name: string; readonly attempt: number } | null;
  readonly state: string;
  readonly createdAt: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly exitCode: number;
  readonly image: WireImageSpec | null;
  readonly imageRef: string;
  readonly reason: string;
  readonly message: string;
}

export interface WireSandboxMetadata {
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly attempt: number;
}

export interface WireSandbox {
  readonly id: string;
  readonly metadata: WireSandboxMetadata | null;
  readonly state: string;
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface WireSandboxStatusResponse {
  readonly status: WireSandbox | null;
  readonly info: Readonly<Record<string, string>>;
}

export interface WireRuntimeCondition {
  readonly type: string;
  readonly status: boolean;
  readonly reason: string;
  readonly message: string;
}

export interface WireStatusResponse {
  readonly status: { readonly conditions: readonly WireRuntimeCondition[] } | null;
  readonly info: Readonly<Record<string, string>>;
}

export function toRuntimeVersion(wire: WireVersion): RuntimeVersion {
  return {
    runtimeName: wire.runtimeName,
    runtimeVersion: wire.runtimeVersion,
    runtimeApiVersion: wire.runtimeApiVersion,
  };
}

export function toRuntimeImage(wire: WireImage): RuntimeImage {
  return {
    id: wire.id,
    repoTags: [...wire.repoTags],
    repoDigests: [...wire.repoDigests],
    size: wire.size,
    pinned: wire.pinned,
  };
}

/**
 * containerd answers ImageStatus of an unknown image with OK and either no image or an empty one
 * (depending on version); both mean "not here".
 */
export function imageOrUndefined(wire: WireImage | null): RuntimeImage | undefined {
  if (wire === null || wire.id === '') return undefined;
  return toRuntimeImage(wire);
}

const CONTAINER_STATES: ReadonlyMap<string, ContainerState> = new Map([
  ['CONTAINER_CREATED', 'created'],
  ['CONTAINER_RUNNING', 'running'],
  ['CONTAINER_EXITED', 'exited'],
  ['CONTAINER_UNKNOWN', 'unknown'],
]);

/** Unknown enum values (a newer runtime) map to 'unknown', which callers treat as in use. */
export function toContainerState(wire: string): ContainerState {
  return CONTAINER_STATES.get(wire) ?? 'unknown';
}

export function toRuntimeContainer(wire: WireContainer): RuntimeContainer {
  return {
    id: wire.id,
    name: wire.metadata?.name ?? '',
    podSandboxId: wire.podSandboxId,
    image: wire.image?.image ?? '',
    imageRef: wire.imageRef,
    state: toContainerState(wire.state),
  };
}

/** Anything but an explicit READY is treated as not ready. */
export function toSandboxState(wire: string): SandboxState {
  return wire === 'SANDBOX_READY' ? 'ready' : 'notready';
}

/** What a sandbox's image is known by: the name it was started from, the IDs its layers lead to. */
export interface SandboxImage {
  readonly image?: string;
  readonly imageIds: readonly string[];
}

export function toRuntimeSandbox(wire: WireSandbox, known: SandboxImage): RuntimeSandbox {
  const base = {
    id: wire.id,
    name: wire.metadata?.name ?? '',
    namespace: wire.metadata?.namespace ?? '',
    state: toSandboxState(wire.state),
    imageIds: known.imageIds,
  };
  return known.image === undefined ? base : { ...base, image: known.image };
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * The sandbox image from a verbose PodSandboxStatus. containerd puts a JSON document under the
 * `info` key whose `image` field names the image the sandbox (pause) container runs.
 */
export function sandboxImageFromInfo(info: Readonly<Record<string, string>>): string | undefined {
  return nonEmptyString(parseJsonObject(info['info'])?.['image']);
}

/**
 * Where containerd keeps the sandbox's root filesystem, from a verbose PodSandboxStatus: the
 * `snapshotter` and `snapshotKey` fields of the same `info` document.
 */
export function sandboxSnapshotFromInfo(
  info: Readonly<Record<string, string>>,
): SandboxSnapshot | undefined {
  const doc = parseJsonObject(info['info']);
  const snapshotter = nonEmptyString(doc?.['snapshotter']);
  const key = nonEmptyString(doc?.['snapshotKey']);
  return snapshotter === undefined || key === undefined ? undefined : { snapshotter, key };
}

/**
 * The configured sandbox image from a verbose Status: containerd puts its CRI plugin config, as
 * JSON, under the `config` key; `sandboxImage` is the pause image every new pod will use.
 */
export function configuredSandboxImageFromInfo(
  info: Readonly<Record<string, string>>,
): string | undefined {
  return nonEmptyString(parseJsonObject(info['config'])?.['sandboxImage']);
}
