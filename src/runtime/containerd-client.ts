import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { Client, credentials, InterceptingCall, type Interceptor } from '@grpc/grpc-js';

import { EraserError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { ContentReadStream } from './content-stream.js';
import { parseEndpoint, type RuntimeEndpoint } from './endpoint.js';
import { RuntimeCallError, RuntimeError } from './errors.js';
import { unaryCall, type CallTarget } from './grpc-call.js';
import { probeSocket } from './probe.js';
import { methodOf, serviceDefinition, type UnaryMethod } from './proto.js';
import { CRI_NAMESPACE } from './namespace.js';

/** containerd's own API (images, content, version) beside the CRI; see the .proto files. */
export const CONTAINERD_IMAGES_PROTO = protoPath('containerd-images.proto');
export const CONTAINERD_CONTENT_PROTO = protoPath('containerd-content.proto');
export const CONTAINERD_VERSION_PROTO = protoPath('containerd-version.proto');
export const CONTAINERD_SNAPSHOTS_PROTO = protoPath('containerd-snapshots.proto');

export const IMAGES_SERVICE = 'containerd.services.images.v1.Images';
export const CONTENT_SERVICE = 'containerd.services.content.v1.Content';
export const VERSION_SERVICE = 'containerd.services.version.v1.Version';
export const SNAPSHOTS_SERVICE = 'containerd.services.snapshots.v1.Snapshots';

export { CRI_NAMESPACE };

/** The gRPC metadata key containerd reads the namespace of every call from. */
const NAMESPACE_HEADER = 'containerd-namespace';

/** containerd's identifier rule for namespaces (pkg/identifiers). */
const NAMESPACE_PATTERN = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
const NAMESPACE_MAX_LENGTH = 76;

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;

function protoPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

function method(file: string, service: string, name: string): UnaryMethod {
  return methodOf(serviceDefinition(file, service), name);
}

/** A content descriptor as containerd stores it (OCI descriptor fields). */
export interface ContentDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A containerd image record: a name pointing at a manifest or index. */
export interface ContainerdImage {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly target: ContentDescriptor;
  /** When the record was written (the pull or import of this name), when containerd says. */
  readonly createdAt?: Date;
  /** When the record last changed (a pull that moved the name updates it). */
  readonly updatedAt?: Date;
}

export interface ContentInfo {
  readonly digest: string;
  readonly size: number;
}

export interface ContainerdVersion {
  readonly version: string;
  readonly revision: string;
}

export interface ContainerdClientOptions {
  /** containerd namespace of every call; `k8s.io` (the CRI's) unless set. */
  readonly namespace?: string;
  /** Deadline of each unary call, in ms (10 s unless set). */
  readonly timeoutMs?: number;
  /** Longest silence while a content stream waits for bytes (the unary deadline unless set). */
  readonly idleTimeoutMs?: number;
  /** Bytes per ranged Read call (4 MiB unless set). */
  readonly windowBytes?: number;
  readonly logger?: Logger;
}

export interface ReadRange {
  readonly offset?: number;
  /** Bytes to read; the blob must have at least this many from `offset`. */
  readonly length: number;
  readonly signal?: AbortSignal;
}

interface WireDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations: Readonly<Record<string, string>>;
}

interface WireImage {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly target: WireDescriptor | null;
  readonly createdAt: { readonly seconds: number; readonly nanos: number } | null;
  readonly updatedAt: { readonly seconds: number; readonly nanos: number } | null;
}

/** Throws unless `namespace` is a name containerd accepts. */
export function checkNamespace(namespace: string): string {
  if (namespace.length <= NAMESPACE_MAX_LENGTH && NAMESPACE_PATTERN.test(namespace)) {
    return namespace;
  }
  throw new EraserError(
    'CONTAINERD_NAMESPACE_INVALID',
    `containerd namespace ${JSON.stringify(namespace)} is invalid: expected letters and digits ` +
      `joined by single '.', '_' or '-', at most ${NAMESPACE_MAX_LENGTH} characters`,
    { namespace },
  );
}

function namespaceInterceptor(namespace: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(NAMESPACE_HEADER, namespace);
        next(metadata, listener);
      },
    });
}

/**
 * A client of containerd's images and content services over one gRPC channel. Every call
 * carries the namespace; unary calls have a deadline; content reads are ranged, bounded streams.
 */
export class ContainerdClient {
  readonly endpoint: string;
  readonly namespace: string;
  private readonly target: CallTarget;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly windowBytes: number;

  constructor(endpoint: RuntimeEndpoint, options: ContainerdClientOptions = {}) {
    this.endpoint = endpoint.endpoint;
    this.namespace = checkNamespace(options.namespace ?? CRI_NAMESPACE);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? this.timeoutMs;
    this.windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
    const client = new Client(endpoint.endpoint, credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      interceptors: [namespaceInterceptor(this.namespace)],
    });
    const logger = (options.logger ?? silentLogger()).child({
      component: 'containerd',
      endpoint: endpoint.endpoint,
      namespace: this.namespace,
    });
    this.target = { client, endpoint: endpoint.endpoint, logger };
  }

  private call<Response>(m: UnaryMethod, request: object): Promise<Response> {
    return unaryCall<Response>(this.target, m, request, this.timeoutMs);
  }

  async version(): Promise<ContainerdVersion> {
    const m = method(CONTAINERD_VERSION_PROTO, VERSION_SERVICE, 'Version');
    const wire = await this.call<ContainerdVersion>(m, {});
    return { version: wire.version, revision: wire.revision };
  }

  /** The image record called `name`, or undefined when the namespace has none. */
  async getImage(name: string): Promise<ContainerdImage | undefined> {
    const m = method(CONTAINERD_IMAGES_PROTO, IMAGES_SERVICE, 'Get');
    try {
      const wire = await this.call<{ image: WireImage | null }>(m, { name });
      return wire.image === null ? undefined : this.toImage(wire.image);
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Every image record of the namespace (several names may point at one target). */
  async listImages(filters: readonly string[] = []): Promise<ContainerdImage[]> {
    const m = method(CONTAINERD_IMAGES_PROTO, IMAGES_SERVICE, 'List');
    const wire = await this.call<{ images: WireImage[] }>(m, { filters });
    return wire.images.map((image) => this.toImage(image));
  }

  /** Size of a committed blob, or undefined when the content store lacks it. */
  async contentInfo(digest: string): Promise<ContentInfo | undefined> {
    const m = method(CONTAINERD_CONTENT_PROTO, CONTENT_SERVICE, 'Info');
    try {
      const wire = await this.call<{ info: ContentInfo | null }>(m, { digest });
      return wire.info === null ? undefined : { digest: wire.info.digest, size: wire.info.size };
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The parent of a snapshot (a layer chain ID), or undefined when there is no such snapshot. */
  async snapshotParent(snapshotter: string, key: string): Promise<string | undefined> {
    const m = method(CONTAINERD_SNAPSHOTS_PROTO, SNAPSHOTS_SERVICE, 'Stat');
    try {
      const wire = await this.call<{ info: { parent: string } | null }>(m, { snapshotter, key });
      return wire.info?.parent;
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * A whole small blob (an image config), or undefined when the store lacks it. A blob larger
   * than `maxBytes` is an error rather than a large allocation.
   */
  async readSmallBlob(digest: string, maxBytes: number): Promise<Buffer | undefined> {
    const info = await this.contentInfo(digest);
    if (info === undefined) return undefined;
    if (info.size > maxBytes) {
      throw new RuntimeError(
        'RUNTIME_BLOB_TOO_LARGE',
        `blob ${digest} at ${this.endpoint} has ${info.size} bytes, expected at most ${maxBytes}`,
        { endpoint: this.endpoint, digest, size: info.size },
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.readContent(digest, { length: info.size })) {
      chunks.push(chunk as Buffer);
    }
    const blob = Buffer.concat(chunks);
    // Content addresses are the point: a blob that does not hash to its name is not that blob.
    const actual = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    if (digest.startsWith('sha256:') && actual !== digest) {
      throw new RuntimeError(
        'RUNTIME_BLOB_CORRUPT',
        `blob ${digest} at ${this.endpoint} hashes to ${actual}`,
        { endpoint: this.endpoint, digest, actual },
      );
    }
    return blob;
  }

  /** Streams `length` bytes of a blob from `offset`; destroy the stream to cancel the read. */
  readContent(digest: string, range: ReadRange): ContentReadStream {
    const target = {
      ...this.target,
      method: method(CONTAINERD_CONTENT_PROTO, CONTENT_SERVICE, 'Read'),
    };
    return new ContentReadStream(target, {
      digest,
      offset: range.offset ?? 0,
      length: range.length,
      windowBytes: this.windowBytes,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(range.signal === undefined ? {} : { signal: range.signal }),
    });
  }

  close(): void {
    this.target.client.close();
  }

  private toImage(wire: WireImage): ContainerdImage {
    if (wire.target === null) {
      throw new RuntimeError(
        'RUNTIME_BAD_RESPONSE',
        `runtime at ${this.endpoint} answered image ${wire.name} without a target descriptor`,
        { endpoint: this.endpoint, image: wire.name },
      );
    }
    const { mediaType, digest, size, annotations } = wire.target;
    const createdAt = toDate(wire.createdAt);
    const updatedAt = toDate(wire.updatedAt);
    return {
      name: wire.name,
      labels: wire.labels,
      target: { mediaType, digest, size, annotations },
      ...(createdAt === undefined ? {} : { createdAt }),
      ...(updatedAt === undefined ? {} : { updatedAt }),
    };
  }
}

/** A zero or absent timestamp means "not recorded", not 1970. */
function toDate(ts: WireImage['createdAt']): Date | undefined {
  if (ts === null || (ts.seconds === 0 && ts.nanos === 0)) return undefined;
  const date = new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isNotFound(err: unknown): boolean {
  return err instanceof RuntimeCallError && err.grpcStatus === 'NOT_FOUND';
}

/**
 * Connects to containerd's own API and checks, with a Version call, that containerd answers,
 * so that a CRI-O socket or another gRPC server fails here with an error that says so.
 */
export async function connectContainerd(
  endpoint: string,
  options: ContainerdClientOptions = {},
): Promise<ContainerdClient> {
  const parsed = parseEndpoint(endpoint);
  await probeSocket(parsed, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  const client = new ContainerdClient(parsed, options);
  try {
    const version = await client.version();
    options.logger?.debug({ endpoint: parsed.endpoint, ...version }, 'connected to containerd');
  } catch (err: unknown) {
    client.close();
    throw notContainerd(parsed.endpoint, err);
  }
  return client;
}

function notContainerd(endpoint: string, err: unknown): unknown {
  if (!(err instanceof RuntimeCallError) || err.grpcStatus !== 'UNIMPLEMENTED') return err;
  return new RuntimeError(
    'RUNTIME_NOT_CONTAINERD',
    `runtime at ${endpoint} does not serve containerd's API (Version is UNIMPLEMENTED); ` +
      'reading image content needs containerd',
    { endpoint },
    { cause: err },
  );
}
