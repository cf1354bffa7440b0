import type { Readable } from 'node:stream';

import type { ImageSource, LayerSource } from '../types.js';
import type { BlobRole } from './verify.js';

/** An OCI content descriptor (image-spec descriptor.md), as read from an index or manifest. */
export interface Descriptor {
  readonly mediaType: string;
  /** `sha256:<64 hex>` or `sha512:<128 hex>`. */
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

/** An OCI platform: `os`, `architecture` and, for ARM, `variant` (image-spec image-index.md). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Where an image was read from, for reports. */
export type SourceKind = 'containerd' | 'oci-layout' | 'docker-archive';

/** A layer blob with the size its descriptor gives. */
export interface SizedLayerSource extends LayerSource {
  readonly size: number;
}

/** An image resolved to one platform's manifest, ready for buildInventory. */
export interface ResolvedImage extends ImageSource {
  readonly config: Buffer;
  readonly layers: readonly SizedLayerSource[];
  readonly source: SourceKind;
  /** The image ID: digest of the config blob. */
  readonly id: string;
  /** Digest of the manifest read (the platform's manifest when the target is an index). */
  readonly manifestDigest?: string;
  /** Digest of what the name points at: an index or the manifest itself. */
  readonly targetDigest?: string;
  /** Platform from the image config, `os/architecture[/variant]`. */
  readonly platform?: string;
  /** Other names of the same image in the source (tags, digest references). */
  readonly names: readonly string[];
}

/**
 * Content-addressed blobs, as containerd's content store and an OCI layout hold them. Every
 * byte handed out is checked against the descriptor's digest and size.
 */
export interface BlobStore {
  /** Names the store in messages, e.g. `containerd at unix:///… (namespace k8s.io)`. */
  readonly location: string;
  /** Reads a small blob whole; fails before reading when its size passes `maxBytes`. */
  readBlob(
    descriptor: Descriptor,
    role: BlobRole,
    maxBytes: number,
    image: string,
  ): Promise<Buffer>;
  /** Fails with SOURCE_BLOB_MISSING when the store lacks the blob or has another size. */
  checkBlob(descriptor: Descriptor, role: BlobRole, image: string): Promise<void>;
  /** Streams a blob; the stream fails on a digest or size mismatch. */
  openBlob(descriptor: Descriptor, role: BlobRole, image: string): Readable;
}

/** Bounds that keep a hostile source from taking unbounded memory or time. */
export interface SourceLimits {
  /** Bytes of one index or manifest (the distribution spec's common limit is 4 MiB). */
  readonly maxManifestBytes: number;
  /** Bytes of one image config. */
  readonly maxConfigBytes: number;
  /** Entries of one index. */
  readonly maxIndexEntries: number;
  /** Layers of one manifest. */
  readonly maxLayers: number;
  /** Indexes nested inside indexes. */
  readonly maxNesting: number;
  /** Bytes of an archive's manifest.json or a layout's index.json. */
  readonly maxMetadataBytes: number;
  /** Entries of one docker archive tar. */
  readonly maxArchiveEntries: number;
  /** Links followed while resolving one path inside an archive. */
  readonly maxLinkHops: number;
}

const MiB = 1024 ** 2;

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxManifestBytes: 4 * MiB,
  maxConfigBytes: 8 * MiB,
  maxIndexEntries: 4096,
  maxLayers: 1024,
  maxNesting: 4,
  maxMetadataBytes: 16 * MiB,
  maxArchiveEntries: 200_000,
  maxLinkHops: 16,
};

export function resolveSourceLimits(overrides: Partial<SourceLimits> = {}): SourceLimits {
  return { ...DEFAULT_SOURCE_LIMITS, ...overrides };
}
