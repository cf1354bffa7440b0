import type { Readable } from 'node:stream';

import { parseReference, type ParsedReference } from '../../images/reference.js';
import type {
  ContainerdClient,
  ContainerdImage,
  ContentDescriptor,
} from '../../runtime/containerd-client.js';
import { RuntimeError } from '../../runtime/errors.js';
import type { ImageRuntime } from '../../runtime/types.js';
import { ImageSourceError } from './errors.js';
import { nodePlatform } from './platform.js';
import { resolveImage } from './resolve.js';
import {
  resolveSourceLimits,
  type BlobStore,
  type Descriptor,
  type Platform,
  type ResolvedImage,
  type SourceLimits,
} from './types.js';
import {
  checkAnnouncedSize,
  isDigest,
  mismatchError,
  readAll,
  verifiedStream,
  type BlobRole,
} from './verify.js';

export interface ContainerdSourceOptions {
  /** Platform picked from multi-platform images; the node's own unless set. */
  readonly platform?: Platform;
  readonly limits?: Partial<SourceLimits>;
  /**
   * The CRI of the same runtime, asked for IDs containerd has no record by: it resolves full
   * and short IDs (12 hex digits or more). Names are not asked: the CRI would match them as
   * ID prefixes too (`1bb`). Only meaningful for `k8s.io`.
   */
  readonly cri?: Pick<ImageRuntime, 'imageStatus'>;
  /** Cancels every content read in flight. */
  readonly signal?: AbortSignal;
}

/** One image on the node: every name containerd keeps for the same target. */
export interface NodeImage {
  /** The name reports use: a tag if any, else a digest reference, else the ID. */
  readonly name: string;
  readonly names: readonly string[];
  readonly target: ContentDescriptor;
}

/**
 * Images in a containerd namespace, read through containerd's images and content services:
 * find one by tag, digest reference or ID, list them all, and resolve one to an ImageSource.
 */
export class ContainerdImageSource {
  readonly store: ContainerdBlobStore;
  private readonly platform: Platform;
  private readonly limits: SourceLimits;

  constructor(
    private readonly client: ContainerdClient,
    private readonly options: ContainerdSourceOptions = {},
  ) {
    this.platform = options.platform ?? nodePlatform();
    this.limits = resolveSourceLimits(options.limits);
    this.store = new ContainerdBlobStore(client, options.signal);
  }

  /** The image a user named; SOURCE_NOT_FOUND when neither containerd nor the CRI knows it. */
  async find(ref: string): Promise<NodeImage> {
    const parsed = parseReference(ref);
    for (const name of containerdNames(parsed)) {
      const image = await this.client.getImage(name);
      if (image !== undefined) return this.withAllNames(image);
    }

    const byDigest = parsed.kind === 'name' ? await this.findByTarget(parsed.digest) : undefined;
    if (byDigest !== undefined) return byDigest;

    // The CRI matches any hex prefix of an ID: only IDs, and short ones of at least
    // MIN_ID_PREFIX_LENGTH digits (as parsed), go to it, as `eraser run` matches them.
    const viaCri = parsed.kind === 'name' ? undefined : await this.findViaCri(ref);
    if (viaCri !== undefined) return viaCri;
    throw new ImageSourceError(
      'SOURCE_NOT_FOUND',
      `image ${ref} is not in ${this.store.location}`,
      { image: ref, endpoint: this.client.endpoint, namespace: this.client.namespace },
    );
  }

  /** Every image of the namespace, once per target however many names point at it. */
  async list(): Promise<NodeImage[]> {
    const byTarget = new Map<string, ContainerdImage[]>();
    for (const image of await this.client.listImages()) {
      const group = byTarget.get(image.target.digest);
      if (group === undefined) byTarget.set(image.target.digest, [image]);
      else group.push(image);
    }
    return [...byTarget.values()].flatMap(([first, ...rest]) =>
      first === undefined ? [] : [nodeImageOf(first, rest)],
    );
  }

  /** Reads the manifest and config of `image` for this source's platform. */
  resolve(image: NodeImage, name: string = image.name): Promise<ResolvedImage> {
    const target = targetDescriptor(image, name);
    return resolveImage(this.store, target, name, {
      platform: this.platform,
      limits: this.limits,
      source: 'containerd',
      names: image.names,
    });
  }

  private async withAllNames(image: ContainerdImage): Promise<NodeImage> {
    const filter = `target.digest==${image.target.digest}`;
    return nodeImageOf(image, await this.client.listImages([filter]));
  }

  /**
   * A digest names content, whatever repository it was stored under: `app@sha256:…` finds an
   * image imported or pulled only by tag when its manifest (or index) has that digest.
   */
  private async findByTarget(digest: string | undefined): Promise<NodeImage | undefined> {
    if (digest === undefined) return undefined;
    const [first, ...rest] = await this.client.listImages([`target.digest==${digest}`]);
    return first === undefined ? undefined : nodeImageOf(first, rest);
  }

  private async findViaCri(ref: string): Promise<NodeImage | undefined> {
    const status = await this.options.cri?.imageStatus(ref);
    if (status === undefined) return undefined;
    for (const name of [status.id, ...status.repoDigests, ...status.repoTags]) {
      const image = await this.client.getImage(name);
      if (image !== undefined) return this.withAllNames(image);
    }
    return undefined;
  }
}

/** The names containerd (and its CRI plugin) files an image under, for a parsed reference. */
export function containerdNames(ref: ParsedReference): string[] {
  switch (ref.kind) {
    case 'id':
      return [ref.id];
    case 'id-prefix':
      return [];
    case 'name': {
      const names: string[] = [];
      if (ref.digest !== undefined) names.push(`${ref.name}@${ref.digest}`);
      if (ref.tag !== undefined) names.push(`${ref.name}:${ref.tag}`);
      return names;
    }
  }
}

function nodeImageOf(image: ContainerdImage, others: readonly ContainerdImage[]): NodeImage {
  const names = [...new Set([image.name, ...others.map((i) => i.name)])].sort();
  const rank = (name: string): number =>
    name.startsWith('sha256:') ? 2 : name.includes('@') ? 1 : 0;
  const name = [...names].sort((a, b) => rank(a) - rank(b))[0] ?? image.name;
  return { name, names, target: image.target };
}

/** containerd's record is outside data too: its target must be a usable descriptor. */
function targetDescriptor(image: NodeImage, name: string): Descriptor {
  const { mediaType, digest, size } = image.target;
  if (!isDigest(digest) || !Number.isSafeInteger(size) || size < 0) {
    throw new ImageSourceError(
      'SOURCE_BAD_MANIFEST',
      `image ${name} points at ${JSON.stringify(digest)} of size ${size}, not a valid descriptor`,
      { image: name, digest, size },
    );
  }
  return { mediaType, digest, size };
}

/** containerd's content store as a BlobStore: ranged, verified reads through the content API. */
export class ContainerdBlobStore implements BlobStore {
  readonly location: string;

  constructor(
    private readonly client: ContainerdClient,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.location = `containerd at ${client.endpoint} (namespace ${client.namespace})`;
  }

  async readBlob(
    descriptor: Descriptor,
    role: BlobRole,
    maxBytes: number,
    image: string,
  ): Promise<Buffer> {
    checkAnnouncedSize(role, descriptor, maxBytes, image);
    try {
      return await readAll(this.openBlob(descriptor, role, image));
    } catch (err: unknown) {
      throw this.explain(err, descriptor, role, image);
    }
  }

  async checkBlob(descriptor: Descriptor, role: BlobRole, image: string): Promise<void> {
    const info = await this.client.contentInfo(descriptor.digest);
    if (info === undefined) throw this.missing(descriptor, role, image);
    if (info.size !== descriptor.size) {
      const sizes = `${info.size} bytes in the store, not ${descriptor.size}`;
      throw mismatchError(
        role,
        descriptor,
        image,
        this.location,
      )(`is ${sizes} as its descriptor says`);
    }
  }

  openBlob(descriptor: Descriptor, role: BlobRole, image: string): Readable {
    const range = this.signal === undefined ? {} : { signal: this.signal };
    const source = this.client.readContent(descriptor.digest, {
      ...range,
      length: descriptor.size,
    });
    return verifiedStream(
      source,
      descriptor,
      mismatchError(role, descriptor, image, this.location),
    );
  }

  private explain(err: unknown, descriptor: Descriptor, role: BlobRole, image: string): unknown {
    if (!(err instanceof RuntimeError)) return err;
    if (err.code === 'RUNTIME_NOT_FOUND') return this.missing(descriptor, role, image, err);
    if (err.code === 'RUNTIME_CONTENT_SHORT') {
      return mismatchError(
        role,
        descriptor,
        image,
        this.location,
      )(`is shorter than the ${descriptor.size} bytes its descriptor gives`);
    }
    return err;
  }

  private missing(
    descriptor: Descriptor,
    role: BlobRole,
    image: string,
    cause?: unknown,
  ): ImageSourceError {
    // Layers go missing for a known reason: the CRI's discard_unpacked_layers drops them.
    const hint =
      role === 'layer'
        ? '; it may have been discarded after unpacking (CRI discard_unpacked_layers)'
        : '';
    return new ImageSourceError(
      'SOURCE_BLOB_MISSING',
      `${role} ${descriptor.digest} of image ${image} is not in the content store of ` +
        `${this.location}${hint}`,
      { image, digest: descriptor.digest, role, location: this.location },
      cause === undefined ? undefined : { cause },
    );
  }
}
