import { silentLogger, type Logger } from '../logger.js';
import type {
  CallOptions,
  ContainerConfig,
  ContainerStatusInfo,
  ImageFsUsage,
  PodSandboxConfig,
  PodSandboxStatusInfo,
  RuntimeStatusInfo,
} from './cri-requests.js';
import {
  configuredSandboxImageFromInfo,
  imageOrUndefined,
  sandboxImageFromInfo,
  sandboxSnapshotFromInfo,
  toContainerState,
  toRuntimeContainer,
  toRuntimeImage,
  toRuntimeSandbox,
  toRuntimeVersion,
  toSandboxState,
  type SandboxImage,
  type WireContainer,
  type WireContainerStatus,
  type WireImage,
  type WireSandbox,
  type WireSandboxStatusResponse,
  type WireStatusResponse,
  type WireVersion,
} from './cri-wire.js';
import { parseEndpoint, type RuntimeEndpoint } from './endpoint.js';
import { RuntimeCallError, RuntimeError, RuntimeIncompatibleError } from './errors.js';
import { createGrpcClient, unaryCall, type CallTarget } from './grpc-call.js';
import { probeSocket } from './probe.js';
import { SandboxLayers } from './sandbox-layers.js';
import { arrivalTimes } from './arrivals.js';
import { ContainerdClient } from './containerd-client.js';
import {
  CRI_V1_PROTO,
  CRI_V1ALPHA2_PROTO,
  IMAGE_SERVICE,
  methodOf,
  RUNTIME_SERVICE,
  RUNTIME_SERVICE_V1ALPHA2,
  serviceDefinition,
  type UnaryMethod,
} from './proto.js';
import type {
  ImageRuntime,
  RuntimeContainer,
  RuntimeImage,
  RuntimeSandbox,
  RuntimeVersion,
} from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** How many PodSandboxStatus calls listSandboxes keeps in flight. */
const SANDBOX_STATUS_CONCURRENCY = 8;

export interface ConnectOptions {
  /** Default deadline of every call, in ms (10 s unless set). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

function runtimeMethod(name: string): UnaryMethod {
  return methodOf(serviceDefinition(CRI_V1_PROTO, RUNTIME_SERVICE), name);
}

function imageMethod(name: string): UnaryMethod {
  return methodOf(serviceDefinition(CRI_V1_PROTO, IMAGE_SERVICE), name);
}

/**
 * A CRI runtime.v1 client over one gRPC channel. It implements ImageRuntime (what the cleanup
 * pipeline uses) and also the workload calls (pull, pods, containers) the test bed and tools use;
 * one class keeps one channel and one deadline policy for both.
 */
export class CriRuntime implements ImageRuntime {
  readonly endpoint: string;
  readonly socketPath: string;
  private readonly target: CallTarget;
  private readonly timeoutMs: number;
  /**
   * Sandbox ID → image. A sandbox never changes image, and the removal re-check lists sandboxes
   * once per wave of removals, so each sandbox's status is asked for once, not once per wave.
   */
  private readonly sandboxImages = new Map<string, SandboxImage>();
  private readonly layers: SandboxLayers;
  private readonly endpointParts: RuntimeEndpoint;
  private containerdClient: ContainerdClient | undefined;

  constructor(endpoint: RuntimeEndpoint, timeoutMs: number, logger: Logger) {
    this.endpoint = endpoint.endpoint;
    this.socketPath = endpoint.socketPath;
    this.timeoutMs = timeoutMs;
    this.target = { client: createGrpcClient(endpoint), endpoint: endpoint.endpoint, logger };
    this.endpointParts = endpoint;
    this.layers = new SandboxLayers(endpoint.endpoint, () => this.containerd(), logger, this);
  }

  private call<Response>(
    method: UnaryMethod,
    request: object,
    options: CallOptions | undefined,
  ): Promise<Response> {
    return unaryCall<Response>(this.target, method, request, options?.timeoutMs ?? this.timeoutMs);
  }

  async version(options?: CallOptions): Promise<RuntimeVersion> {
    const wire = await this.call<WireVersion>(runtimeMethod('Version'), {}, options);
    return toRuntimeVersion(wire);
  }

  /** Version over the older CRI runtime.v1alpha2 API; only used to explain a failed connect. */
  async versionV1alpha2(options?: CallOptions): Promise<RuntimeVersion> {
    const service = serviceDefinition(CRI_V1ALPHA2_PROTO, RUNTIME_SERVICE_V1ALPHA2);
    const wire = await this.call<WireVersion>(methodOf(service, 'Version'), {}, options);
    return toRuntimeVersion(wire);
  }

  async status(verbose = false, options?: CallOptions): Promise<RuntimeStatusInfo> {
    const wire = await this.call<WireStatusResponse>(runtimeMethod('Status'), { verbose }, options);
    return { conditions: wire.status?.conditions ?? [], info: wire.info };
  }

  /** The pause image new pods will use, from the runtime's verbose Status (containerd). */
  async configuredSandboxImage(options?: CallOptions): Promise<string | undefined> {
    return configuredSandboxImageFromInfo((await this.status(true, options)).info);
  }

  async listImages(options?: CallOptions): Promise<RuntimeImage[]> {
    const wire = await this.call<{ images: WireImage[] }>(imageMethod('ListImages'), {}, options);
    return wire.images.map(toRuntimeImage);
  }

  async imageStatus(ref: string, options?: CallOptions): Promise<RuntimeImage | undefined> {
    const request = { image: { image: ref }, verbose: false };
    const wire = await this.call<{ image: WireImage | null }>(
      imageMethod('ImageStatus'),
      request,
      options,
    );
    return imageOrUndefined(wire.image);
  }

  async removeImage(ref: string, options?: CallOptions): Promise<void> {
    await this.call(imageMethod('RemoveImage'), { image: { image: ref } }, options);
  }

  /** Pulls `ref` and returns the image reference the runtime reports (containerd: the ID). */
  async pullImage(ref: string, options?: CallOptions): Promise<string> {
    const request = { image: { image: ref } };
    const wire = await this.call<{ imageRef: string }>(imageMethod('PullImage'), request, options);
    return wire.imageRef;
  }

  async imageFsInfo(options?: CallOptions): Promise<ImageFsUsage[]> {
    type Usage = {
      fsId: { mountpoint: string } | null;
      usedBytes: { value: number } | null;
      inodesUsed: { value: number } | null;
    };
    const wire = await this.call<{ imageFilesystems: Usage[] }>(
      imageMethod('ImageFsInfo'),
      {},
      options,
    );
    return wire.imageFilesystems.map((fs) => ({
      mountpoint: fs.fsId?.mountpoint ?? '',
      usedBytes: fs.usedBytes?.value ?? 0,
      inodesUsed: fs.inodesUsed?.value ?? 0,
    }));
  }

  async listContainers(options?: CallOptions): Promise<RuntimeContainer[]> {
    const method = runtimeMethod('ListContainers');
    const wire = await this.call<{ containers: WireContainer[] }>(method, {}, options);
    return wire.containers.map(toRuntimeContainer);
  }

  async containerStatus(id: string, options?: CallOptions): Promise<ContainerStatusInfo> {
    const method = runtimeMethod('ContainerStatus');
    const request = { containerId: id, verbose: false };
    const wire = await this.call<{ status: WireContainerStatus | null }>(method, request, options);
    return toContainerStatusInfo(this.endpoint, id, wire.status);
  }

  /**
   * Every pod sandbox, with its image when the runtime tells it (containerd: in the verbose
   * PodSandboxStatus). A sandbox removed between the list and its status keeps no image.
   */
  async listSandboxes(options?: CallOptions): Promise<RuntimeSandbox[]> {
    const method = runtimeMethod('ListPodSandbox');
    const wire = await this.call<{ items: WireSandbox[] }>(method, {}, options);
    const images = await mapLimited(wire.items, SANDBOX_STATUS_CONCURRENCY, (item) =>
      this.cachedSandboxImage(item.id, options),
    );
    const live = new Set(wire.items.map((item) => item.id));
    for (const id of this.sandboxImages.keys()) if (!live.has(id)) this.sandboxImages.delete(id);
    return wire.items.map((item, i) => toRuntimeSandbox(item, images[i] ?? { imageIds: [] }));
  }

  private async cachedSandboxImage(id: string, options?: CallOptions): Promise<SandboxImage> {
    const cached = this.sandboxImages.get(id);
    if (cached !== undefined) return cached;

    const status = await this.sandboxStatusOrUndefined(id, options);
    const traced = status?.snapshot
      ? await this.layers.imageIdsOf(id, status.snapshot, status.image)
      : undefined;
    const known = { ...pickImage(status?.image), imageIds: traced ?? [] };
    // Unknown images are asked again: the runtime may fill them in once the sandbox is ready,
    // and a trace that failed for a passing reason may work next time.
    if (known.image !== undefined && (traced !== undefined || !status?.snapshot)) {
      this.sandboxImages.set(id, known);
    }
    return known;
  }

  private async sandboxStatusOrUndefined(
    id: string,
    options?: CallOptions,
  ): Promise<PodSandboxStatusInfo | undefined> {
    try {
      return await this.podSandboxStatus(id, true, options);
    } catch (err: unknown) {
      if (err instanceof RuntimeError && err.code === 'RUNTIME_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async podSandboxStatus(
    id: string,
    verbose = false,
    options?: CallOptions,
  ): Promise<PodSandboxStatusInfo> {
    const method = runtimeMethod('PodSandboxStatus');
    const request = { podSandboxId: id, verbose };
    const wire = await this.call<WireSandboxStatusResponse>(method, request, options);
    return toPodSandboxStatusInfo(this.endpoint, id, wire);
  }

  async runPodSandbox(config: PodSandboxConfig, options?: CallOptions): Promise<string> {
    const method = runtimeMethod('RunPodSandbox');
    const wire = await this.call<{ podSandboxId: string }>(method, { config }, options);
    return wire.podSandboxId;
  }

  async stopPodSandbox(id: string, options?: CallOptions): Promise<void> {
    await this.call(runtimeMethod('StopPodSandbox'), { podSandboxId: id }, options);
  }

  async removePodSandbox(id: string, options?: CallOptions): Promise<void> {
    await this.call(runtimeMethod('RemovePodSandbox'), { podSandboxId: id }, options);
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
    options?: CallOptions,
  ): Promise<string> {
    const method = runtimeMethod('CreateContainer');
    const request = { podSandboxId, config, sandboxConfig };
    const wire = await this.call<{ containerId: string }>(method, request, options);
    return wire.containerId;
  }

  async startContainer(id: string, options?: CallOptions): Promise<void> {
    await this.call(runtimeMethod('StartContainer'), { containerId: id }, options);
  }

  /** Stops a container, killing it after `graceSeconds` (0: at once). */
  async stopContainer(id: string, graceSeconds = 0, options?: CallOptions): Promise<void> {
    const request = { containerId: id, timeout: graceSeconds };
    await this.call(runtimeMethod('StopContainer'), request, options);
  }

  async removeContainer(id: string, options?: CallOptions): Promise<void> {
    await this.call(runtimeMethod('RemoveContainer'), { containerId: id }, options);
  }

  /** When each image arrived, from containerd's image records (the CRI has no such field). */
  async imageArrivals(images: readonly RuntimeImage[]): Promise<ReadonlyMap<string, Date>> {
    try {
      return arrivalTimes(images, await this.containerd().listImages());
    } catch (err: unknown) {
      if (!(err instanceof RuntimeCallError) || err.grpcStatus !== 'UNIMPLEMENTED') throw err;
      throw new RuntimeError(
        'RUNTIME_NO_ARRIVAL_TIMES',
        `runtime at ${this.endpoint} does not serve containerd's images API, which tells when ` +
          'images arrived',
        { endpoint: this.endpoint },
        { cause: err },
      );
    }
  }

  /** containerd's own API on the same socket, for what the CRI does not tell. */
  private containerd(): ContainerdClient {
    this.containerdClient ??= new ContainerdClient(this.endpointParts, {
      timeoutMs: this.timeoutMs,
      logger: this.target.logger,
    });
    return this.containerdClient;
  }

  close(): void {
    this.containerdClient?.close();
    this.target.client.close();
  }
}

function toContainerStatusInfo(
  endpoint: string,
  id: string,
  status: WireContainerStatus | null,
): ContainerStatusInfo {
  if (status === null) throw missingStatus(endpoint, 'container', id);
  return {
    id: status.id,
    name: status.metadata?.name ?? '',
    state: toContainerState(status.state),
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    exitCode: status.exitCode,
    image: status.image?.image ?? '',
    imageRef: status.imageRef,
    reason: status.reason,
    message: status.message,
  };
}

function toPodSandboxStatusInfo(
  endpoint: string,
  id: string,
  wire: WireSandboxStatusResponse,
): PodSandboxStatusInfo {
  if (wire.status === null) throw missingStatus(endpoint, 'pod sandbox', id);
  const image = sandboxImageFromInfo(wire.info);
  const snapshot = sandboxSnapshotFromInfo(wire.info);
  return {
    id: wire.status.id,
    name: wire.status.metadata?.name ?? '',
    namespace: wire.status.metadata?.namespace ?? '',
    state: toSandboxState(wire.status.state),
    info: wire.info,
    ...pickImage(image),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
}

function pickImage(image: string | undefined): { image?: string } {
  return image === undefined ? {} : { image };
}

function missingStatus(endpoint: string, kind: string, id: string): RuntimeError {
  return new RuntimeError(
    'RUNTIME_BAD_RESPONSE',
    `runtime at ${endpoint} answered the ${kind} status of ${id} without a status`,
    { endpoint, kind, id },
  );
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Connects to a CRI runtime and checks, with a Version call, that it speaks runtime.v1, so that
 * callers get a typed error (socket missing, permission denied, not CRI, too old, timeout) here
 * rather than on their first real call.
 */
export async function connectRuntime(
  endpoint: string,
  opts: ConnectOptions = {},
): Promise<CriRuntime> {
  const parsed = parseEndpoint(endpoint);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logger = (opts.logger ?? silentLogger()).child({
    component: 'cri',
    endpoint: parsed.endpoint,
  });

  await probeSocket(parsed, timeoutMs);

  const runtime = new CriRuntime(parsed, timeoutMs, logger);
  try {
    const version = await checkCriV1(runtime);
    logger.debug({ ...version }, 'connected to runtime');
  } catch (err: unknown) {
    runtime.close();
    throw err;
  }
  return runtime;
}

/** Asks Version over v1; on failure tells an old (v1alpha2-only) runtime from a non-CRI one. */
async function checkCriV1(runtime: CriRuntime): Promise<RuntimeVersion> {
  try {
    return await runtime.version();
  } catch (err: unknown) {
    if (!(err instanceof RuntimeCallError)) throw err;
    throw await classifyVersionFailure(runtime, err);
  }
}

async function classifyVersionFailure(
  runtime: CriRuntime,
  err: RuntimeCallError,
): Promise<RuntimeError> {
  const endpoint = runtime.endpoint;
  if (err.grpcStatus !== 'UNIMPLEMENTED') {
    return new RuntimeIncompatibleError(
      'RUNTIME_NOT_CRI',
      endpoint,
      `does not answer CRI runtime.v1 Version: ${err.grpcStatus}: ${err.details}`,
      { grpcStatus: err.grpcStatus },
      { cause: err },
    );
  }

  const old = await runtime.versionV1alpha2().catch(() => undefined);
  if (old === undefined) {
    return new RuntimeIncompatibleError(
      'RUNTIME_NOT_CRI',
      endpoint,
      'implements neither CRI runtime.v1 nor runtime.v1alpha2',
      {},
      { cause: err },
    );
  }
  return new RuntimeIncompatibleError(
    'RUNTIME_CRI_TOO_OLD',
    endpoint,
    `(${old.runtimeName} ${old.runtimeVersion}) speaks only CRI ` +
      `${old.runtimeApiVersion || 'v1alpha2'}; eraser needs CRI runtime.v1 (containerd >= 1.6)`,
    { ...old },
    { cause: err },
  );
}
